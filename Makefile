# Kepu Monitor — the two commands are `make run` and `make test`; both call `make setup`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench bench-portal bench-pack soak proto dashboards clean

setup: $(STAMP)
	@deploy/scripts/install-system-packages.sh
	@mkdir -p var

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	@$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## Run the whole system in the foreground (Ctrl-C stops it, broker included).
run: setup
	$(BIN)/kepu run

## The whole suite against a real, project-local broker and PostgreSQL started (and stopped) for the run,
## in two lanes at once (tests/lanes.py: the main one, and the browser tests of the portal).
test: setup
	$(BIN)/kepu test-env -- $(BIN)/python -m tests.lanes $(PYTEST_ARGS)

## Pipeline benchmark, not part of `make test` (BENCH_ARGS="--quick --db sqlite|postgresql|both --cases ...").
## Its own broker node and PostgreSQL on ports of its own, so it can run beside `make test` and `make run`.
## BROKER_NODES=3 (or BENCH_ARGS="--broker-nodes 3") also runs the cases on a 3-node cluster with quorum
## queues that the bench starts 10 ports above its node, as ratios to the one-node classic figures.
BENCH_ENV := KEPU_VAR_DIR=$(CURDIR)/var/bench/env KEPU_TEST_BROKER_NODE=kepu-bench@localhost \
	KEPU_TEST_BROKER_PORT=5892 KEPU_TEST_BROKER_MGMT_PORT=15892 KEPU_TEST_BROKER_METRICS_PORT=15893 \
	KEPU_TEST_BROKER_DIST_PORT=25892 KEPU_TEST_POSTGRES_PORT=5893
bench: setup
	$(BENCH_ENV) $(BIN)/kepu test-env -- $(BIN)/python -m tests.bench.pipeline \
		$(if $(BROKER_NODES),--broker-nodes $(BROKER_NODES)) $(BENCH_ARGS)

## The quarterly pack's wait on the seed plan with 20 towns after `kepu demo`; not part of `make test`.
bench-pack: setup
	$(BENCH_ENV) $(BIN)/kepu test-env -- $(BIN)/python -m tests.bench.pack $(BENCH_ARGS)

## Portal page render times on the seed plan after `kepu demo` (BENCH_ARGS="-n 100"); not part of `make test`.
bench-portal: setup
	$(BENCH_ENV) $(BIN)/kepu test-env -- $(BIN)/python -m tests.bench.portal_pages $(BENCH_ARGS)

## An hour of steady reports with kill -9 and database outages on a timer, not part of `make test`
## (SOAK_ARGS="--minutes 10 --rate 20"); on the bench's broker node and PostgreSQL, or with
## SOAK_ARGS="--broker-nodes 3" on a cluster of its own, a broker node lost among the faults.
soak: setup
	$(BENCH_ENV) $(BIN)/kepu test-env -- $(BIN)/python -m tests.chaos.soak $(SOAK_ARGS)

## Regenerate the gRPC code from proto/ (committed; a test checks it is fresh).
proto: $(STAMP)
	$(BIN)/python -m libs.common.api.generate

## Regenerate the Grafana dashboards from libs/dashboards (committed; a test checks they are fresh).
dashboards: $(STAMP)
	$(BIN)/python -m libs.dashboards.generate

clean:
	rm -rf var .pytest_cache

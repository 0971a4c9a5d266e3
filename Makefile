# Kepu Monitor — the two commands are `make run` and `make test`; both call `make setup`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test proto clean

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

## The whole suite against a real, project-local broker and PostgreSQL started (and stopped) for the run.
test: setup
	$(BIN)/kepu test-env -- $(BIN)/python -m pytest $(PYTEST_ARGS)

## Regenerate the gRPC code from proto/ (committed; a test checks it is fresh).
proto: $(STAMP)
	$(BIN)/python -m libs.common.api.generate

clean:
	rm -rf var .pytest_cache

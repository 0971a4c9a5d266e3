"""Schema migrations on real SQLite and PostgreSQL: the revisions build what the models describe,
and a database made by the previous release (release 13, before migrations) is upgraded in
place with every row kept. The fixtures are dumps of such databases (tests/fixtures/release-13)."""
from __future__ import annotations

import datetime as dt
import gzip
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from nacl.encoding import Base64Encoder
from nacl.public import PrivateKey
from sqlalchemy import create_engine, inspect, make_url, select, text
from sqlalchemy.orm import Session

from libs.common.db import ensure_database, make_engine
from libs.common.migrations import SchemaMismatch, current, head, metadata_of, migrate
from libs.common.settings import REPO_ROOT, SERVICES
from services.notifications import app as notifications_app
from services.notifications.keys import ChannelKey
from services.notifications.models import Channel as NotificationsChannel
from services.organisations import app as organisations_app
from services.organisations.models import Channel as OrganisationsChannel

RELEASE_13 = Path(__file__).parents[1] / "fixtures" / "release-13"


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request, tmp_path):
    """A factory of empty databases of one kind: name -> URL."""
    made = []

    def make(name: str) -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path}/{name}.sqlite3"
        else:
            url = request.getfixturevalue("postgres_url") + f"m{uuid.uuid4().hex[:10]}_{name}"
            ensure_database(url)
        made.append(url)
        return url

    make.kind = request.param
    return make


def differences(engine, service: str) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata_of(service))


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f'select count(*) from "{t}"')).scalar()
                for t in inspect(engine).get_table_names() if t != "alembic_version"}


def load_release_13(url: str, service: str) -> None:
    dump = gzip.decompress((RELEASE_13 / make_url(url).get_backend_name() / f"{service}.sql.gz").read_bytes())
    if url.startswith("sqlite"):
        with sqlite3.connect(make_url(url).database) as conn:
            conn.executescript(dump.decode())
        return
    # pg_dump's psql meta-commands (\restrict) are for psql; the rest is plain SQL
    sql = "\n".join(line for line in dump.decode().splitlines() if not line.startswith("\\"))
    engine = create_engine(url)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute(sql)  # without parameters: a '%' in the data stays as it is
        raw.commit()
    engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_the_revisions_build_exactly_what_the_models_describe(new_database, service):
    """Fails when a model changes without a revision (`kepu db revision SERVICE -m ...` writes one)."""
    engine = make_engine(new_database(service))
    assert migrate(engine, service) is None
    assert current(engine) == head(service)
    assert differences(engine, service) == []
    assert migrate(engine, service) == head(service)  # a second start changes nothing
    engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_a_release_13_database_is_upgraded_in_place_keeping_every_row(new_database, service):
    url = new_database(service)
    load_release_13(url, service)
    engine = make_engine(url)
    before = row_counts(engine)
    assert sum(before.values()) > 0, "the fixture holds data"
    assert current(engine) is None  # release 13 kept no version

    migrate(engine, service)

    assert current(engine) == head(service)
    after = row_counts(engine)
    assert {t: n for t, n in after.items() if t in before} == before
    assert all(after[t] == 0 for t in set(after) - set(before))  # tables added since release 13 start empty
    assert [d for d in differences(engine, service) if d[0] in ("add_table", "add_column")] == []
    engine.dispose()


def test_a_database_lacking_a_column_is_refused_naming_it(tmp_path):
    """Older than release 13, or changed by hand: stopped at start, not at the first write."""
    url = f"sqlite:///{tmp_path}/notifications.sqlite3"
    engine = make_engine(url)
    metadata_of("notifications").create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("alter table alerts drop column severity"))

    with pytest.raises(SchemaMismatch, match=r"lacks column alerts\.severity.*release older than 13"):
        migrate(engine, "notifications")
    assert current(engine) == head("notifications")  # stamped as release 13, upgraded, then refused
    engine.dispose()


def test_replicas_starting_together_migrate_once(new_database):
    """Four processes (replicas start together; the test runs under eventlet, so not threads)."""
    url = new_database("indicators")
    code = ("import sys; from libs.common.db import make_engine; from libs.common.migrations import migrate; "
            "migrate(make_engine(sys.argv[1]), 'indicators')")
    starts = [subprocess.Popen([sys.executable, "-c", code, url], cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
              for _ in range(4)]
    failures = [p.stderr.read() for p in starts if p.wait(timeout=120) != 0]
    assert failures == []
    engine = make_engine(url)
    assert current(engine) == head("indicators")
    assert differences(engine, "indicators") == []
    engine.dispose()


def test_channels_kept_in_clear_by_release_13_are_set_aside_and_sealed_on_both_sides(new_database):
    """organisations cannot seal (it has no key): its revision sets the clear channel aside, masked for
    listings and never published, until `kepu org channel seal` brings notifications' public key;
    notifications seals its own copy with its key as it starts."""
    key = PrivateKey.generate()
    public = key.public_key.encode(Base64Encoder).decode()
    hook = "http://127.0.0.1:9/hook"  # the channel both release-13 fixtures hold
    engines = {}
    for service in ("organisations", "notifications"):
        url = new_database(service)
        load_release_13(url, service)
        engines[service] = make_engine(url)
        migrate(engines[service], service)
    now = dt.datetime.now(dt.timezone.utc)
    with Session(engines["organisations"], expire_on_commit=False) as session:
        (listed,) = organisations_app.list_channels(session)
        assert (listed["target"], listed["sealed"]) == (hook, False)
        assert organisations_app.republish_channels(session, now) == 0  # nothing sent in clear meanwhile
        assert organisations_app.seal_clear_channels(session, public, now) == 1
        (row,) = session.scalars(select(OrganisationsChannel))
    with Session(engines["notifications"], expire_on_commit=False) as session:
        assert notifications_app.seal_stored_channels(session, ChannelKey(key).seal) == 1
        (copy,) = session.scalars(select(NotificationsChannel))
    for sealed in (row, copy):
        assert (sealed.clear_target, sealed.clear_secret) == (None, None) and hook not in sealed.sealed_target
        assert ChannelKey(key).open(sealed.sealed_target) == hook
    for engine in engines.values():
        engine.dispose()

"""Schema migrations with alembic: one history per service, applied when the service starts.

Each service keeps its revisions in ``services/<name>/migrations/versions``. ``migrate`` brings
a database to the newest revision under a lock (replicas start together):

- an empty database gets every revision;
- a database made before migrations existed (release 13 and earlier kept no version) is
  stamped with the baseline revision, which is exactly release 13's schema, then upgraded;
- afterwards the tables are checked against the code's models: a table or column the code
  needs and the database lacks stops the start with a message naming it, instead of a
  failure on the first write.

``kepu db status`` shows each database's revision, ``kepu db upgrade`` applies them ahead of a
start, and ``kepu db revision SERVICE -m "what"`` writes a new revision from the models.
"""
from __future__ import annotations

import contextlib
import fcntl
import importlib
import logging
import tempfile
import zlib
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, inspect, make_url, text

from libs.common.settings import REPO_ROOT

log = logging.getLogger(__name__)

BASELINE = "0001"  # release 13's schema: what a database without a version table was made with


class SchemaMismatch(RuntimeError):
    """The database lacks tables or columns the code needs, and no revision adds them."""


def metadata_of(service: str) -> MetaData:
    return importlib.import_module(f"services.{service}.models").Base.metadata


def alembic_config(service: str, engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(Path(__file__).parent / "alembic"))
    config.set_main_option("version_locations", str(REPO_ROOT / "services" / service / "migrations" / "versions"))
    config.attributes["service"] = service
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head(service: str) -> str:
    return ScriptDirectory.from_config(alembic_config(service)).get_current_head()


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, service: str) -> str | None:
    """Bring the service's database to the newest revision; the revision it had before (None:
    empty, or made before migrations)."""
    with _migration_lock(engine, service):
        found, newest = current(engine), head(service)
        config = alembic_config(service, engine)
        start = found or _adopt_release_13(engine, service, config)
        if start != newest:
            command.upgrade(config, "head")
            log.info("%s: database schema upgraded from %s to %s", service, start or "empty", newest)
    check_schema(engine, service)
    return found


def _adopt_release_13(engine: Engine, service: str, config: Config) -> str | None:
    """A database without a version: empty (None), or release 13's, stamped as the baseline.
    One with only some of the tables is refused: an interrupted first start, or hand-made."""
    wanted = _baseline_tables(service)
    existing = set(inspect(engine).get_table_names()) & wanted
    if not existing:
        return None
    if existing != wanted:
        raise SchemaMismatch(
            f"the {service} database at {engine.url.render_as_string(hide_password=True)} has some of its "
            f"tables but no schema version (lacking {', '.join(sorted(wanted - existing))}): a first start was "
            "interrupted, or it was made by hand. If it holds nothing yet, delete it and start again; else "
            "restore it from a backup.")
    log.info("%s: database made before schema migrations; recording it as revision %s (release 13)",
             service, BASELINE)
    command.stamp(config, BASELINE)
    return BASELINE


def _baseline_tables(service: str) -> set[str]:
    """The tables release 13 had: what the baseline revision creates (later revisions add more)."""
    scratch = create_engine("sqlite://")
    try:
        command.upgrade(alembic_config(service, scratch), BASELINE)
        return set(inspect(scratch).get_table_names()) - {"alembic_version"}
    finally:
        scratch.dispose()


def check_schema(engine: Engine, service: str) -> None:
    """Refuse to run on a database that lacks a table or column the models use."""
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata_of(service))
    missing = [_describe(d) for d in _flatten(diffs) if d[0] in ("add_table", "add_column")]
    if missing:
        raise SchemaMismatch(
            f"the {service} database at {engine.url.render_as_string(hide_password=True)} lacks "
            f"{', '.join(missing)}, and no migration adds it: it was made by a release older than 13, or "
            f"changed by hand. Back it up, then move it aside and rebuild (README \"Upgrading\")."
        )


def write_revision(service: str, message: str) -> str:
    """A new revision of ``service`` from the difference between its models and its head (for
    developers): autogenerated against a scratch SQLite database, to be read and edited."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.sqlite3")
        config = alembic_config(service, engine)
        command.upgrade(config, "head")
        script = command.revision(config, message=message, autogenerate=True)
        engine.dispose()
    return script.path if script is not None else ""


@contextlib.contextmanager
def _migration_lock(engine: Engine, service: str):
    """One migrating process at a time: a PostgreSQL advisory lock, or a lock file beside the
    SQLite database."""
    url = make_url(engine.url)
    if url.get_backend_name() == "postgresql":
        key = zlib.crc32(f"kepu-migrate-{service}".encode())
        with engine.connect() as conn:
            conn.execute(text("select pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("select pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    if not url.database or url.database == ":memory:":
        yield
        return
    with open(Path(url.database).with_suffix(".migrate-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _flatten(diffs: list) -> list[tuple]:
    out = []
    for diff in diffs:
        out.extend(diff if isinstance(diff, list) else [diff])
    return out


def _describe(diff: tuple) -> str:
    if diff[0] == "add_table":
        return f"table {diff[1].name}"
    return f"column {diff[2]}.{diff[3].name}"

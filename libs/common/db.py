"""SQLAlchemy 2 for nameko services: engines with sane SQLite settings, a session per worker.

nameko-sqlalchemy is untested with SQLAlchemy 2, and what we need is small: a session
per worker, rolled back when the worker fails, and the engine disposed on stop.
"""
from __future__ import annotations

import datetime as dt
import os
import stat
import time
from pathlib import Path
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, Engine, Integer, String, TypeDecorator, create_engine, event, make_url, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from libs.common.settings import settings_from_config


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database: SQLite hands ``DateTime(timezone=True)``
    back naive, which cannot be compared with an aware ``now``. Same column type in the DDL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        """Stored in UTC (SQLite keeps the wall-clock fields and drops the offset)."""
        return value.astimezone(dt.timezone.utc) if value is not None and value.tzinfo else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value


def iso(moment: dt.datetime | None) -> str | None:
    """RFC 3339 text of a stored time, or None."""
    return moment.isoformat() if moment else None


def chunks(items: list, size: int = 500):
    """Slices of ``items`` for ``IN (...)`` lists: stay well under every database's limit on bound
    parameters (a row-value key binds one per column, so pass a smaller size for those)."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


class SerialLockMixin:
    """Columns of a service's ``serial_locks`` table: one row per kind of write that replicas of
    the service must take in turn (see :func:`serialise`)."""

    __tablename__ = "serial_locks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    taken: Mapped[int] = mapped_column(Integer, default=0)


def serialise(session: Session, model: type, name: str) -> None:
    """Make this transaction the only one of its ``name`` until it ends, across processes.

    Replicas of a service read sums and write the states derived from them: two such
    transactions side by side would each miss the other's rows (PostgreSQL, read committed), or
    one would fail on a stale snapshot (SQLite). So the first statement of such a transaction
    writes one row: PostgreSQL holds that row lock until commit, SQLite its single write lock.
    """
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = make_insert(model).values(name=name, taken=1)
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"taken": model.taken + 1}))


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (down, restarting, the connection
    lost, SQLite locked), not that a statement was wrong: worth waiting for, not the data's fault."""
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

    if isinstance(exc, (DisconnectionError, InterfaceError)) or getattr(exc, "connection_invalidated", False):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        return any(w in text for w in ("connection", "server closed", "shutting down", "database is locked",
                                       "starting up", "terminating"))
    return False


def owner_only_sqlite_file(path: Path) -> None:
    """Make a SQLite database file readable by its owner only (0600), in a folder only its owner
    may enter (0700), before SQLite opens it: SQLite gives its -wal and -shm files the database
    file's mode. An existing folder is tightened when it is ours and not a shared one (sticky,
    like /tmp); existing files are tightened too (databases made before this rule)."""
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid == os.getuid() and not info.st_mode & stat.S_ISVTX:
        folder.chmod(0o700)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # an empty file is an empty database
    except FileExistsError:
        pass
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_uid == os.getuid():
            file.chmod(0o600)


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite, create the folder and the file owner-only
    (:func:`owner_only_sqlite_file`) and use WAL with a busy timeout."""
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and parsed.database and parsed.database != ":memory:":
        owner_only_sqlite_file(Path(parsed.database))
    # hide_parameters: an error's text never carries row values (channel secrets, report fields)
    # into logs and dead-letter reasons
    engine = create_engine(url, pool_pre_ping=not sqlite, hide_parameters=True)
    if sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a process crash (kill -9); only power loss can drop
            # the last commits. Measured: FULL costs ~40% of insert throughput here.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def ensure_database(url: str) -> None:
    """Create a PostgreSQL database named in the URL if it does not exist yet."""
    target = make_url(url)
    if target.get_backend_name() != "postgresql" or not target.database:
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("select 1 from pg_database where datname = :n"), {"n": target.database})
            if exists.scalar() is None:
                try:
                    conn.execute(text(f'create database "{target.database}"'))
                except DBAPIError as exc:  # another service of ours created it a moment ago
                    if "already exists" not in str(exc):
                        raise
    finally:
        admin.dispose()


def open_database(url: str, service: str) -> tuple[Engine, sessionmaker[Session]]:
    """Engine plus session factory, with the database created if missing and its schema brought
    to the service's newest migration (``libs.common.migrations``)."""
    from libs.common.migrations import migrate  # alembic is imported only by processes that open a database

    ensure_database(url)
    engine = make_engine(url)
    migrate(engine, service)
    return engine, sessionmaker(engine, expire_on_commit=False)


class Database(DependencyProvider):
    """Injects a :class:`Session`; the worker commits (its unit of work). Closing the session
    at teardown rolls back whatever a failed worker left uncommitted.

    Under eventlet all workers share one OS thread, and SQLite's busy wait blocks it: so a
    worker must not do network I/O (which yields) while it holds a transaction open.
    """

    def __init__(self, service: str, on_open=None):
        """The database of ``service`` (its models and migrations live in ``services/<service>``);
        ``on_open(session, settings)`` runs once at start-up, e.g. to seed reference data."""
        self.service = service
        self.on_open = on_open
        self.sessions: WeakKeyDictionary = WeakKeyDictionary()

    def setup(self) -> None:
        settings = settings_from_config(self.container.config)
        self.engine, self.session_factory = open_database(settings.database_url(self.service), self.service)
        if self.on_open is None:
            return
        for attempt in range(3):
            with self.session_factory() as session:
                try:
                    self.on_open(session, settings)
                    session.commit()
                    return
                except IntegrityError:  # a replica starting beside us stored the same rows: look again
                    session.rollback()
                    if attempt == 2:
                        raise
                    time.sleep(0.2 * (attempt + 1))

    def stop(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx) -> Session:
        session = self.session_factory()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx) -> None:
        session = self.sessions.pop(worker_ctx, None)
        if session is None:
            return
        try:
            session.close()
        except Exception as exc:  # closing rolls back: on a database that went away that fails too
            if not database_unreachable(exc):
                raise
            session.invalidate()  # its connection is gone with the database: never handed out again

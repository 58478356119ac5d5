"""Engines, the declarative base and the column types every table shares.

``make_engine(url)`` is the one place a URL becomes an engine:

* SQLite: WAL (readers never block the writer), a 10 s busy timeout, foreign keys on,
  and every write transaction opened with ``BEGIN IMMEDIATE``. pysqlite normally
  opens transactions lazily with a plain ``BEGIN`` (deferred), so two writers can both
  read, then both try to upgrade to a write lock and one fails with "database is
  locked" *without* the busy handler being consulted. Taking the write lock at BEGIN
  serialises writers in the busy handler instead, which is what makes "read the row,
  decide, write" safe. This is SQLAlchemy's documented pysqlite recipe ("Serializable
  isolation / Savepoints / Transactional DDL"): turn pysqlite's own BEGIN off and emit
  ours from the ``begin`` event.
* SQLite files are created readable and writable by their owner only (0600): they hold
  every request, decision and the audit log. SQLite gives the ``-wal`` and ``-shm``
  files it creates next to a database the database file's permissions (the unix VFS,
  ``findCreateFileMode``), so those are 0600 too. An existing file keeps its mode.
* PostgreSQL: psycopg 3; a plain ``postgresql://`` URL is rewritten to
  ``postgresql+psycopg://``.

A connection may ask for a deferred (read-only) SQLite transaction with the execution
option ``READ_ONLY`` so readers never queue behind writers; it is ignored on PostgreSQL.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, Engine, MetaData, String, event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_MS = 10_000

#: Execution options for a read-only transaction (SQLite: ``BEGIN DEFERRED``).
READ_ONLY: dict[str, Any] = {"offboard_sqlite_begin": "DEFERRED"}

# Named constraints, so migrations can refer to (and later drop) each one by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def normalize_url(url: str) -> str:
    """Return ``url`` with PostgreSQL pointed at the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (SQLite or PostgreSQL) with Offboard's settings."""
    from sqlalchemy import create_engine

    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:") or "memory" in str(
            parsed.query.get("mode", "")
        )
        if not in_memory and "poolclass" not in kwargs:
            # Room for many threads at once; they queue on SQLite's lock, not the pool.
            kwargs.setdefault("pool_size", 20)
            kwargs.setdefault("max_overflow", 40)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        if not in_memory and parsed.database and not parsed.query.get("uri"):
            _create_privately(engine, parsed.database)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop pysqlite from emitting its own (deferred) BEGIN; `_on_begin` emits ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            # FULL: every commit is on disk before it returns. NORMAL would let an OS
            # crash or power loss undo the last commits - among them a "sent" mark whose
            # destructive call already went out, which the next worker would send again.
            cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("offboard_sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _create_privately(engine: Engine, path: str) -> None:
    @event.listens_for(engine, "do_connect")
    def _before_connect(*_args: Any) -> None:
        # O_EXCL: create the file only if it is not there yet, never touch an existing
        # one. Whatever stops us (no such directory) sqlite3 reports in its own words.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError:
            return


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in Python; ``timestamptz`` on PostgreSQL, naive UTC on SQLite.

    Naive datetimes are refused on the way in: a naive value has no defined instant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Column aliases shared by the models.
str16 = Annotated[str, mapped_column(String(16))]
str64 = Annotated[str, mapped_column(String(64))]
str255 = Annotated[str, mapped_column(String(255))]
text = Annotated[str, mapped_column(String(4000))]
utc = Annotated[datetime, mapped_column(UTCDateTime())]
json_doc = Annotated[Any, mapped_column(JSON(none_as_null=True))]
bigint = Annotated[int, mapped_column(BigInteger())]


class Base(DeclarativeBase):
    """Declarative base of every Offboard table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

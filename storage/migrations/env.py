"""Alembic environment: runs against the engine or URL the caller passed in.

``storage.migrate`` puts an engine in ``config.attributes["engine"]`` (or a URL in the
``sqlalchemy.url`` option); nothing is read from the process environment here, so
importing this module never needs configuration.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, Engine, text

from storage.db import UTCDateTime, make_engine
from storage.models import Base

config = context.config
MIGRATION_LOCK_KEY = 0x0FFB0A3167


def _engine() -> tuple[Engine, bool]:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine, False
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: use storage.migrate.upgrade(url)")
    return make_engine(url), True


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations are frozen history: spell our TypeDecorator as the plain column type it
    # stores, so a migration never imports application code that may change later.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Batch mode rebuilds a table (create a copy, DROP, RENAME); with foreign keys
    enforced, dropping a table other rows refer to fails. SQLite's procedure for such
    changes (lang_altertable.html, "other kinds of table schema changes") turns them off
    outside the transaction, checks them before committing, and turns them on again.
    The PRAGMA goes to the DBAPI connection, which is in autocommit between transactions
    (make_engine's recipe), because inside a transaction SQLite ignores it."""
    connection.connection.dbapi_connection.execute(  # type: ignore[union-attr]
        f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}"
    )


def _sqlite_foreign_key_check(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")


def run_migrations_online() -> None:
    engine, owned = _engine()
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                # True on SQLite too: make_engine's BEGIN recipe makes its DDL transactional,
                # so a failed migration rolls back whole instead of leaving half a schema.
                transactional_ddl=True,
                render_item=_render_item,
            )
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                _sqlite_foreign_keys(connection, on=False)
            try:
                with context.begin_transaction():
                    if connection.dialect.name == "postgresql":
                        # Replicas may all run `db upgrade` at start: the first migrates,
                        # the others wait here, then find the database already at head.
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"),
                            {"key": MIGRATION_LOCK_KEY},
                        )
                    context.run_migrations()
                    if sqlite:
                        _sqlite_foreign_key_check(connection)
            finally:
                if sqlite:
                    _sqlite_foreign_keys(connection, on=True)
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")
run_migrations_online()

"""The database: reachable, and at the latest migration.

Alembic's current revision (``alembic_version``, read with ``MigrationContext``) must be
the head of ``storage/migrations``; anything else means ``offboard-bot db upgrade`` has
not run since the code changed. A SQLite file that does not exist is reported as such
rather than created by the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from bot.doctor.report import Check
from storage.db import make_engine, normalize_url
from storage.migrate import alembic_config

NAME = "database"


def run(url: str) -> Iterator[Check]:
    """The database check, when its turn comes."""
    yield check(url)


def missing_sqlite_file(url: str) -> bool:
    """True for a SQLite URL whose file does not exist (doctor reports it, never makes it)."""
    parsed = make_url(normalize_url(url))
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    return bool(file) and file != ":memory:" and not Path(str(file)).exists()


def check(url: str) -> Check:
    """Connect, read the current revision, compare it with the code's head."""
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError:
        return Check(NAME, False, "OFFBOARD_DATABASE_URL is not a database URL")
    shown = parsed.render_as_string(hide_password=True)
    if missing_sqlite_file(url):
        return Check(NAME, False, f"{shown}: no such file (run offboard-bot db upgrade)")
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        return Check(NAME, False, f"{shown}: cannot connect ({_why(error, parsed.password)})")
    finally:
        engine.dispose()
    if current != heads:
        at = ", ".join(sorted(current)) or "no migration at all"
        return Check(
            NAME,
            False,
            f"{shown} is at {at}, the code needs {', '.join(sorted(heads))} "
            "(run offboard-bot db upgrade)",
        )
    latest = ", ".join(sorted(heads))
    return Check(NAME, True, f"{shown} is reachable and at the latest migration ({latest})")


def _why(error: SQLAlchemyError, password: str | None) -> str:
    """The driver's first line ("connection refused"...), without the password."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        text = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
        reason = f"{type(error.orig).__name__}: {text}" if text else type(error.orig).__name__
    else:
        reason = type(error).__name__
    return reason.replace(password, "***") if password else reason

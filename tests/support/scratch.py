"""Throwaway PostgreSQL databases, for tests and benchmarks that need real commits.

Each gets a random name on the server it is given, is migrated unless told otherwise,
and is dropped (``WITH (FORCE)``: a crashed client must not keep it alive) on exit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from storage.db import make_engine
from storage.migrate import upgrade


def admin_engine(server_url: str) -> Engine:
    """An AUTOCOMMIT engine on ``server_url``: CREATE/DROP DATABASE cannot run in a transaction."""
    return make_engine(
        server_url,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 3},
    )


def unreachable(server_url: str) -> str | None:
    """Why the server cannot be used, or None when it answers."""
    admin = admin_engine(server_url)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        return f"PostgreSQL at {make_url(server_url).render_as_string()} is unreachable: {error}"
    finally:
        admin.dispose()
    return None


@contextmanager
def scratch_postgres(server_url: str, *, prefix: str, migrate: bool = True) -> Iterator[str]:
    """Create ``<prefix>_<random>`` on the server, yield its URL, drop it afterwards."""
    admin = admin_engine(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

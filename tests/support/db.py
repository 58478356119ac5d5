"""Database fixtures: the same tests run on a SQLite file and on the real PostgreSQL.

``db_url`` is parametrized over ``sqlite`` and ``postgres``; ``repo`` is a Repository on
it, with the test's ``clock`` as its lease clock. PostgreSQL runs at 127.0.0.1:5432
(``OFFBOARD_TEST_POSTGRES`` overrides the server URL). When it is unreachable the
postgres half is skipped on a developer machine and *fails* in CI (``CI=true``): a
silently skipped engine is an untested engine.

Isolation: SQLite gets a fresh copy of a migrated template file per test. PostgreSQL
gets one migrated database per session (``offboard_test_<random>``, dropped at the end)
and every table is TRUNCATEd before each test. Not the savepoint pattern: the tests that
matter here race many connections, and those need real commits to see each other.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base
from storage.repository import Repository
from tests.support.clock import FakeClock
from tests.support.scratch import scratch_postgres, unreachable

POSTGRES_SERVER_URL = os.environ.get(
    "OFFBOARD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TABLES = ", ".join(table.name for table in Base.metadata.sorted_tables)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A freshly created and migrated PostgreSQL database for this test session."""
    problem = unreachable(POSTGRES_SERVER_URL)
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    with scratch_postgres(POSTGRES_SERVER_URL, prefix="offboard_test") as url:
        yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; tests get copies (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "offboard.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database file of this test's own."""
    path = tmp_path / "offboard.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database: a SQLite file, then the test PostgreSQL database."""
    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
        return url
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url``, disposed after the test (no connection leaks as warnings)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(db_engine: Engine, clock: FakeClock) -> Repository:
    """A Repository on the test database (parametrized: SQLite and PostgreSQL) whose
    leases are judged by the test's injected ``clock``, not the database's."""
    return Repository(db_engine, clock=clock)

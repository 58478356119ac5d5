"""Several replicas running `db upgrade` against one fresh PostgreSQL at once."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.migrate import check
from tests.support.db import _admin_engine

ROOT = Path(__file__).resolve().parents[2]
REPLICA = """
import sys, time
from storage.migrate import upgrade
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # start together
upgrade(sys.argv[1])
"""


@pytest.mark.slow
@pytest.mark.postgres
def test_replicas_upgrading_a_fresh_database_at_once(postgres_url: str) -> None:
    admin = _admin_engine()
    name = f"offboard_race_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        start = str(time.time() + 3)
        replicas = [
            subprocess.Popen(
                [sys.executable, "-c", REPLICA, url, start],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(4)
        ]
        try:
            outputs = [replica.communicate(timeout=60)[0] for replica in replicas]
        finally:
            for replica in replicas:
                replica.kill()  # no-op for those that exited; never leave one behind
        assert [r.returncode for r in replicas] == [0, 0, 0, 0], "\n".join(outputs)
        check(url)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

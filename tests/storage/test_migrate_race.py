"""Several replicas running `db upgrade` against one fresh PostgreSQL at once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.migrate import check
from tests.support.scratch import scratch_postgres

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
    # Unmigrated on purpose: the replicas race to create the schema.
    with scratch_postgres(postgres_url, prefix="offboard_race", migrate=False) as url:
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

"""The database fixtures themselves: an unreachable PostgreSQL skips locally, fails in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ONE_TEST = "tests/storage/repository/test_requests.py::test_create_and_read_back"


def run_one_test_without_postgres(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["OFFBOARD_TEST_POSTGRES"] = "postgresql://nobody@127.0.0.1:1/none"
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_unreachable_postgres_is_skipped_on_a_developer_machine() -> None:
    result = run_one_test_without_postgres(ci=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout


@pytest.mark.slow
def test_unreachable_postgres_fails_loudly_in_ci() -> None:
    result = run_one_test_without_postgres(ci="true")
    assert result.returncode != 0
    assert "1 passed, 1 error" in result.stdout
    assert "unreachable" in result.stdout

"""A stand-alone worker or plan runner refuses an approver user group (it cannot ask Slack
who is in it), before it touches the database or the cloud."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("module", "what"), [("bot.execution.process", "worker"), ("bot.plans.process", "plan runner")]
)
def test_an_approver_user_group_is_refused_at_start(tmp_path: Path, module: str, what: str) -> None:
    database = tmp_path / "never.db"
    env = {**os.environ, "OFFBOARD_APPROVER_USERGROUP": "S0APPROVERS"}
    done = subprocess.run(
        [sys.executable, "-m", module, "--database-url", f"sqlite:///{database}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"a stand-alone {what} cannot resolve OFFBOARD_APPROVER_USERGROUP" in done.stderr
    assert not database.exists()

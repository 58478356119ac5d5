"""`offboard-bot serve --http`: starts, answers /healthz and signed requests, stops on SIGTERM.

It is two processes (the one that answers Slack and its work process); the work process
is restarted when it dies and ends when the bot does.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli_totp import totp
from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, REQUESTER
from bot.devstack.payloads import SlackSigner
from bot.devstack.standin import SlackStandIn
from storage.migrate import upgrade
from tests.support.slack import wait_until

SECRET = "serve-test-signing-secret"
KEY = base64.b64encode(b"serve-test step-up key, 32 bytes").decode()


def enrol(env: dict[str, str], *users: str) -> None:
    """`offboard-bot totp enrol USER` for each, as an operator does on the host."""
    for user in users:
        done = CliRunner().invoke(totp, ["enrol", user], env=env)
        assert done.exit_code == 0, done.output


@pytest.fixture
def served(
    tmp_path: Path, slack_standin: SlackStandIn
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    database = f"sqlite:///{tmp_path / 'serve.db'}"
    upgrade(database)
    approvers = [REQUESTER.user_id, *(p.user_id for p in APPROVERS)]
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack_standin.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_standin.api_url,
        "OFFBOARD_DATABASE_URL": database,
        "OFFBOARD_APPROVAL_CHANNEL": APPROVAL_CHANNEL,
        "OFFBOARD_APPROVERS": ",".join(approvers),
        "OFFBOARD_SECRET_KEY": KEY,
    }
    enrol(env, *approvers)  # step-up is on by default: approvers need a second factor
    env.pop("SLACK_APP_TOKEN", None)
    command = [sys.executable, "-m", "bot", "serve", "--http", "--port", "0"]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    url = None
    for line in proc.stderr:
        if '"serving"' in line:
            url = json.loads(line)["url"]
            break
    assert url, "the bot did not say where it serves"
    drain = threading.Thread(target=proc.stderr.read, daemon=True)
    drain.start()
    try:
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        drain.join(5)
        proc.stderr.close()


def test_serve_answers_and_stops_gracefully(
    served: tuple[subprocess.Popen[str], str], slack_standin: SlackStandIn
) -> None:
    proc, url = served
    health = httpx.get(f"{url}/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok", "database": True}

    signer = SlackSigner(SECRET, f"{url}/slack/events", response_url=slack_standin.response_url)
    try:
        assert (
            signer.slash_command(REQUESTER, "DeleteAccount AccountId=1512996702208737").status_code
            == 200
        )
        opened = slack_standin.wait_for_calls("views.open")[0].params["view"]
        assert any(b.get("block_id") == "AccountId" for b in opened["blocks"])
        assert signer.slash_command(REQUESTER, "help", secret="forged").status_code == 401
    finally:
        signer.close()

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


def test_serve_refuses_a_policy_that_can_never_be_met(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-unused",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "OFFBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'refuse.db'}",
        "OFFBOARD_APPROVAL_CHANNEL": APPROVAL_CHANNEL,
        "OFFBOARD_APPROVERS": "U0BOB,U0CAROL",  # two approvers, two approvals required
    }
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("OFFBOARD_APPROVER_USERGROUP", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to start" in done.stderr and "OFFBOARD_APPROVERS" in done.stderr


def test_serve_refuses_to_start_when_too_few_approvers_are_enrolled(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'stepup.db'}"
    upgrade(database)
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-unused",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "OFFBOARD_DATABASE_URL": database,
        "OFFBOARD_APPROVAL_CHANNEL": APPROVAL_CHANNEL,
        "OFFBOARD_APPROVERS": "U0ALICE,U0BOB,U0CAROL",
        "OFFBOARD_SECRET_KEY": KEY,
    }
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("OFFBOARD_APPROVER_USERGROUP", None)
    env.pop("OFFBOARD_STEP_UP", None)  # the default: totp
    enrol(env, "U0BOB", "U0CAROL")  # alice may be the requester: two are not enough
    command = [sys.executable, "-m", "bot", "serve", "--http", "--port", "0"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "refusing to start" in done.stderr and "enrolled" in done.stderr
    assert "offboard-bot totp enrol" in done.stderr
    # Without the key, it says which variable to set (and never prints a value).
    env["OFFBOARD_SECRET_KEY"] = ""
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "OFFBOARD_SECRET_KEY must be set" in done.stderr


def test_serve_refuses_to_start_without_its_required_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OFFBOARD_"))}
    env["OFFBOARD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'unset.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "OFFBOARD_APPROVAL_CHANNEL"):
        assert name in done.stderr


def _children(pid: int) -> list[int]:
    """Child processes of ``pid``, whichever of its threads started them."""
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return sorted(int(c) for task in tasks for c in (task / "children").read_text().split())


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has exited


def test_serve_restarts_its_work_process_and_takes_it_down_with_it(
    served: tuple[subprocess.Popen[str], str], slack_standin: SlackStandIn
) -> None:
    proc, url = served
    (first,) = _children(proc.pid)
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: _children(proc.pid) and _children(proc.pid) != [first], 30, "a restart")
    signer = SlackSigner(SECRET, f"{url}/slack/events", response_url=slack_standin.response_url)
    try:  # jobs wait in the socket until the new work process reads them
        assert signer.slash_command(REQUESTER, "DeleteAccount").status_code == 200
        slack_standin.wait_for_calls("views.open", timeout=60)
    finally:
        signer.close()
    (second,) = _children(proc.pid)
    proc.kill()  # no goodbye: the work process sees its socket close and ends
    wait_until(lambda: _gone(second), 30, "the work process to end")

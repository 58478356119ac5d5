"""`offboard-bot call` runs reads only, and answers every error with words and an exit code.

Driven as an operator would, against the sandbox cloud; each test counts what reached it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from tests.support.cli import run_verb

ADD = [
    "ModifyAccountRelation",
    "RelationOperation=ADD",
    "RelationType=enterprise_group",
    "ParentUserId=1738376485192612",
    "ChildUserId=1276001234567890",
    "PermissionCodes=FORBID_WITHDRAW_CASH",
]
DETACH_WITHOUT_REGION = [
    "DetachHostAccountsFromUser",
    "InstanceId=bastionhost-cn-st220aw0001",
    "UserId=1",
    'Hosts=[{"HostId":"1","HostAccountIds":["1"]}]',
]
STS_TOKEN = "sts-token-value-should-not-leak"


def env_for(sandbox: Sandbox | None, **extra: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url if sandbox else None,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": None,
    }
    env.update(extra)
    return env


def call(args: list[str], env: dict[str, str | None]) -> tuple[int, str]:
    # A process of its own (the credential chain reads the environment once); a traceback
    # escaping the verb shows in the output, which every test checks.
    with tempfile.TemporaryDirectory() as home:
        code, out = run_verb(["call", *args], env, Path(home))
    assert "Traceback" not in out, out
    return code, out


def test_an_add_write_is_refused_without_dry_run(sandbox: Sandbox) -> None:
    code, out = call(ADD, env_for(sandbox))
    assert code == 3, out
    assert "refused" in out and "a write" in out and "OFFBOARD_REQUIRED_WRITE_APPROVALS" in out
    assert sandbox.calls == []  # nothing reached the cloud, not even a read


def test_an_add_write_is_printed_masked_with_dry_run(sandbox: Sandbox) -> None:
    code, out = call([*ADD, "--dry-run"], env_for(sandbox, ALIBABA_CLOUD_SECURITY_TOKEN=STS_TOKEN))
    assert code == 0, out
    assert "RelationOperation = ADD" in out and "PermissionCodes.1 = FORBID_WITHDRAW_CASH" in out
    assert "Signature=***" in out and "x-acs-security-token: ***" in out
    assert DEMO_ACCESS_KEY_SECRET not in out and STS_TOKEN not in out
    assert sandbox.calls == []


def test_a_delete_relation_is_refused_as_destructive(sandbox: Sandbox) -> None:
    args = [a.replace("=ADD", "=DELETE") for a in ADD]
    code, out = call(args, env_for(sandbox))
    assert code == 3 and "is destructive" in out and "OFFBOARD_REQUIRED_APPROVALS" in out
    assert sandbox.calls == []


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["sent", "dry-run"])
def test_detach_without_a_region_is_a_field_error_not_a_traceback(dry_run: list[str]) -> None:
    """No endpoint override: Bastionhost's endpoint needs RegionId. The operator's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OFFBOARD_", "ALIBABA_"))}
    env.update(ALIBABA_CLOUD_ACCESS_KEY_ID="LTAI-x", ALIBABA_CLOUD_ACCESS_KEY_SECRET="y")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "call", *DETACH_WITHOUT_REGION, *dry_run],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: RegionId:" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


GET = ["GetAccount", "AccountId=1699461245510000"]
ERRORS = [
    pytest.param(GET, {"OFFBOARD_ALIBABA_ENDPOINT": "ftp://x"}, 2, "endpoint", id="bad-endpoint"),
    pytest.param(GET, {"ALIBABA_CLOUD_ACCESS_KEY_ID": None}, 2, "KEY_ID", id="no-credentials"),
    pytest.param(["GetAccount", "AccountId=1111111111111111"], {}, 1, "EntityNotExists", id="api"),
    pytest.param(["GetAccount", "=1"], {}, 2, "expected Param=Value", id="no-name"),
    pytest.param([*GET, "AccountId=2"], {}, 2, "given more than once", id="twice"),
    pytest.param(["NoSuchAction"], {}, 2, "Unknown operation", id="unknown"),
]


@pytest.mark.parametrize(("args", "extra", "code", "words"), ERRORS)
def test_every_error_is_a_message_and_an_exit_code(
    sandbox: Sandbox, args: list[str], extra: dict[str, str | None], code: int, words: str
) -> None:
    got, out = call(args, env_for(sandbox, **extra))
    assert got == code, out
    assert words in out


def test_a_read_still_runs(sandbox: Sandbox) -> None:
    code, out = call(GET, env_for(sandbox))
    assert code == 0 and "HTTP 200" in out
    assert sandbox.count("GetAccount") == 1

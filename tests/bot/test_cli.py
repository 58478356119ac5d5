"""`offboard-bot` verbs, driven as an operator would, against the sandbox cloud."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from tests.support.cli import run_verb

DELEGATED_ADMIN = "1699461245510000"


def _env(sandbox: Sandbox, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "OFFBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    env.update(extra)
    return env


def _invoke(args: list[str], env: dict[str, str | None]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_help_needs_no_environment() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OFFBOARD_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for verb in ("serve", "demo", "sandbox", "db", "audit", "call", "doctor"):
        assert verb in done.stdout


def test_read_only_call_runs_and_prints_the_result(sandbox: Sandbox, tmp_path: Path) -> None:
    code, out = run_verb(
        ["call", "GetAccount", f"AccountId={DELEGATED_ADMIN}"], _env(sandbox, tmp_path), tmp_path
    )
    assert code == 0, out
    assert "RequestId:" in out and "HTTP 200" in out
    assert DELEGATED_ADMIN in out
    assert sandbox.count("GetAccount") == 1


def test_destructive_call_is_refused_without_dryrun_verb(sandbox: Sandbox, tmp_path: Path) -> None:
    code, out = _invoke(
        ["call", "DeleteAccount", f"AccountId={DELEGATED_ADMIN}"], _env(sandbox, tmp_path)
    )
    assert code == 3
    assert "refused" in out and "other people approve" in out
    assert sandbox.count("DeleteAccount") == 0


def test_dry_run_prints_the_signed_request_masked(sandbox: Sandbox, tmp_path: Path) -> None:
    code, out = run_verb(
        ["call", "DeleteAccount", f"AccountId={DELEGATED_ADMIN}", "--dry-run"],
        _env(sandbox, tmp_path, ALIBABA_CLOUD_SECURITY_TOKEN="sts-token-value-should-not-leak"),
        tmp_path,
    )
    assert code == 0, out
    assert "DeleteAccount" in out and DELEGATED_ADMIN in out
    assert "ACS3-HMAC-SHA256" in out
    assert DEMO_ACCESS_KEY_SECRET not in out
    assert "sts-token-value-should-not-leak" not in out
    assert sandbox.count("DeleteAccount") == 0


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["DeleteAccount", "AccountId=123"], "AccountId"),
        (["DeleteAccount", "AccountId"], "AccountId"),
        (["NoSuchAction", "AccountId=1699461245510000"], "operation"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    sandbox: Sandbox, tmp_path: Path, args: list[str], field: str
) -> None:
    code, out = _invoke(["call", *args], _env(sandbox, tmp_path))
    assert code == 2
    assert field in out
    assert sandbox.calls == []


def test_missing_credentials_name_the_variable(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _env(sandbox, tmp_path)
    del env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    code, out = run_verb(["call", "GetAccount", f"AccountId={DELEGATED_ADMIN}"], env, tmp_path)
    assert code == 2
    assert "the environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET)" in out
    assert sandbox.calls == []


def test_db_upgrade_then_audit_verify_and_export(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _env(sandbox, tmp_path)
    code, out = _invoke(["db", "upgrade"], env)
    assert code == 0, out
    code, out = _invoke(["audit", "verify"], env)
    assert code == 0, out
    code, out = _invoke(["audit", "export"], env)
    assert code == 0, out


def test_logs_redact_secret_keys_and_secret_shaped_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json
    import logging

    import structlog

    from bot import logs

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.configure("INFO", json=True)
    try:
        structlog.get_logger("test").info(
            "event", slack_token="xoxb-1-2", note="sent xoxb-abc-123", nested={"password": "p"}
        )
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.reset_defaults()
    assert line["slack_token"] == logs.REDACTED
    assert line["note"] == f"sent {logs.REDACTED}"
    assert line["nested"] == {"password": logs.REDACTED}

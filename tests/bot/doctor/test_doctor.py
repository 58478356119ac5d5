"""`offboard-bot doctor` against the local stack: all green, then each piece broken in turn.

The stack is the real thing on loopback (the Slack stand-in, the signature-checking
sandbox, a migrated SQLite); each broken piece must fail its own line, by name, with the
reason, and the exit status must say so.
"""

from __future__ import annotations

import base64
import os
import socket
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from pydantic import SecretStr

from bot.devstack.authenticator import DEMO_SECRET_KEY
from bot.devstack.local_stack import APPROVAL_CHANNEL, LocalStack, local_stack
from bot.devstack.standin_methods import Channel, Member
from bot.doctor import run_doctor
from bot.manifest import BOT_SCOPES
from commands.credential_chain import OfficialCredentialsProvider
from commands.credentials import CredentialsProvider, StaticCredentialsProvider
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from commands.sandbox.seed import MANAGEMENT_ACCOUNT_ID
from commands.sandbox.world import Principal
from storage.migrate import alembic_config
from tests.support.tls import LocalCA, rogue_server_context

DEMO = StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)
NAMES = (
    "slack token",
    "slack scopes",
    "approval channel",
    "approvers",
    "approval policy",
    "cloud credentials",
    "cloud caller",
    "endpoint",
    "database",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with local_stack(tmp_path_factory.mktemp("doctor")) as running:
        yield running


@pytest.fixture(autouse=True)
def healthy(stack: LocalStack) -> Iterator[None]:
    """Whatever a test breaks in the shared stack is mended after it."""
    yield
    stack.standin.set_scopes(list(BOT_SCOPES))
    stack.standin.set_channel(APPROVAL_CHANNEL, Channel("offboard-approvals"))
    stack.standin.set_member("U0BOB", Member("bob"))
    stack.sandbox.world.principals.clear()


def doctor(
    stack: LocalStack, credentials: CredentialsProvider = DEMO, **settings: Any
) -> tuple[int, dict[str, str]]:
    """Run it; (exit status, the line of each check by name). Settings are copied with
    ``update``, which does not validate: give them as Settings holds them."""
    lines: list[str] = []
    code = run_doctor(
        stack.settings.model_copy(update=settings), out=lines.append, credentials=credentials
    )
    *checks, summary = lines
    by_name = {}
    for line in checks:
        status, _, rest = line.partition("  ")
        name, _, detail = rest.strip().partition(": ")
        by_name[name.split(" http")[0]] = f"{status.strip()} {detail}"
    assert summary == ("all 9 checks passed" if code == 0 else summary)
    return code, by_name


def failed(lines: dict[str, str]) -> dict[str, str]:
    return {name: line[5:] for name, line in lines.items() if line.startswith("FAIL")}


def test_everything_passes_on_the_local_stack(stack: LocalStack) -> None:
    before = len(stack.sandbox.calls)
    code, lines = doctor(stack)
    assert code == 0, lines
    assert tuple(lines) == NAMES and failed(lines) == {}
    assert lines["cloud caller"] == (
        f"ok RAMUser acs:ram::{MANAGEMENT_ACCOUNT_ID}:user/offboard, of the resource "
        "directory's management account"
    )
    assert lines["approval channel"] == "ok the bot is in #offboard-approvals (C0APPROVALS)"
    asked = [c.action for c in stack.sandbox.calls[before:]]
    assert asked == ["GetCallerIdentity", "GetResourceDirectory"]
    assert all(c.signature_ok for c in stack.sandbox.calls[before:])


def test_a_bad_slack_token(stack: LocalStack) -> None:
    code, lines = doctor(stack, slack_bot_token=SecretStr("xoxb-revoked-or-mistyped"))
    assert code == 1
    assert failed(lines)["slack token"] == "Slack answered invalid_auth"
    assert failed(lines)["slack scopes"] == "no valid token to check"
    assert "xoxb-revoked-or-mistyped" not in str(lines)


def test_scopes_that_do_not_match_the_manifest(stack: LocalStack) -> None:
    stack.standin.set_scopes([s for s in BOT_SCOPES if s != "users:read"] + ["admin"])
    code, lines = doctor(stack)
    assert code == 1 and list(failed(lines)) == ["slack scopes"]
    assert failed(lines)["slack scopes"] == (
        "missing users:read; granted beyond the manifest: admin "
        "(reinstall the app from app_manifest.yml)"
    )


@pytest.mark.parametrize(
    ("private", "reason"),
    [
        (
            False,
            "the bot is not in #offboard-approvals (C0APPROVALS): invite it (/invite @offboard)",
        ),
        (
            True,
            "C0APPROVALS: Slack answered channel_not_found (no such channel, or a private "
            "one the bot is not in)",
        ),
    ],
)
def test_the_bot_is_not_in_the_approval_channel(
    stack: LocalStack, private: bool, reason: str
) -> None:
    channel = Channel("offboard-approvals", is_member=False, is_private=private)
    stack.standin.set_channel(APPROVAL_CHANNEL, channel)
    code, lines = doctor(stack)
    assert code == 1 and failed(lines) == {"approval channel": reason}


def test_approvers_who_cannot_approve_are_named(stack: LocalStack) -> None:
    stack.standin.set_member("U0BOB", Member("bob", deleted=True))
    approvers = stack.settings.approvers | {"U0GHOST", "U0OFFBOT"}
    code, lines = doctor(stack, approvers=approvers)
    assert code == 1 and list(failed(lines)) == ["approvers"]
    assert failed(lines)["approvers"] == (
        "U0BOB is deactivated; U0GHOST: Slack answered user_not_found; U0OFFBOT is a bot"
    )


def test_an_unknown_approver_user_group(stack: LocalStack) -> None:
    code, lines = doctor(stack, approver_usergroup="S0NOSUCHGROUP")
    assert code == 1
    assert failed(lines)["approvers"] == "user group S0NOSUCHGROUP: Slack answered no_such_subteam"


def test_a_policy_that_can_never_be_met(stack: LocalStack) -> None:
    code, lines = doctor(stack, required_approvals=5)
    assert code == 1 and list(failed(lines)) == ["approval policy"]
    assert failed(lines)["approval policy"].startswith("Offboard needs 5 distinct approvals")


def test_doctor_names_who_is_enrolled_for_step_up(stack: LocalStack) -> None:
    code, lines = doctor(stack)
    assert lines["approval policy"].endswith("enrolled for step-up: U0ALICE, U0BOB, U0CAROL")
    code, lines = doctor(stack, step_up="off")
    assert code == 0 and lines["approval policy"].endswith("Slack-only (OFFBOARD_STEP_UP=off)")


def test_secrets_sealed_under_another_key_enrol_nobody(stack: LocalStack) -> None:
    other = SecretStr(base64.b64encode(bytes(range(32))).decode())
    code, lines = doctor(stack, secret_key=other)
    assert code == 1 and list(failed(lines)) == ["approval policy"]
    assert "only 0 approvers are enrolled (nobody)" in failed(lines)["approval policy"]


def test_credentials_the_cloud_refuses(stack: LocalStack) -> None:
    wrong = StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, "not-the-secret")
    code, lines = doctor(stack, credentials=wrong)
    assert code == 1 and list(failed(lines)) == ["cloud caller"]
    assert failed(lines)["cloud caller"].startswith("AuthError: SignatureDoesNotMatch")


def test_no_credentials_at_all(stack: LocalStack, tmp_path: Path) -> None:
    from alibabacloud_credentials.provider import CLIProfileCredentialsProvider

    nowhere = OfficialCredentialsProvider(
        lambda: CLIProfileCredentialsProvider(profile_file=str(tmp_path / "config.json")),
        source="the aliyun CLI profile",
    )
    code, lines = doctor(stack, credentials=nowhere)
    assert code == 1 and failed(lines) == {
        "cloud credentials": "the aliyun CLI profile: no such file",
        "cloud caller": "no credentials to ask with",
    }


@pytest.mark.parametrize(
    ("principal", "reason"),
    [
        (
            Principal("1388102837270001", name="audit"),
            "RAMUser acs:ram::1388102837270001:user/audit is in account 1388102837270001, "
            f"not in the resource directory's management account {MANAGEMENT_ACCOUNT_ID}",
        ),
        (
            Principal(str(MANAGEMENT_ACCOUNT_ID), kind="Account"),
            f"Account acs:ram::{MANAGEMENT_ACCOUNT_ID}:root is the management account's own "
            "(root) AccessKey: DeleteAccount needs a RAM user or RAM role of the management "
            "account",
        ),
    ],
)
def test_credentials_of_the_wrong_identity(
    stack: LocalStack, principal: Principal, reason: str
) -> None:
    stack.sandbox.world.principals[DEMO_ACCESS_KEY_ID] = principal
    code, lines = doctor(stack)
    assert code == 1 and failed(lines) == {"cloud caller": reason}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_endpoint(stack: LocalStack) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    code, lines = doctor(stack, alibaba_endpoint=url)
    assert code == 1
    assert failed(lines)["endpoint"] == (
        "cannot connect (ResourceManager, BssOpenApi, Sts, Bastionhost cn-hangzhou): "
        "ConnectionRefusedError (Connection refused)"
    )
    assert failed(lines)["cloud caller"].startswith("NetworkError: could not reach 127.0.0.1")


def doctor_against(stack: LocalStack, tls: ssl.SSLContext) -> dict[str, str]:
    box = Sandbox()
    box.start(tls=tls)
    try:
        return doctor(stack, alibaba_endpoint=box.base_url)[1]
    finally:
        box.stop()


def test_an_endpoint_whose_certificate_is_not_trusted(
    stack: LocalStack, test_ca: LocalCA, tmp_path: Path
) -> None:
    trusted = doctor_against(stack, test_ca.server_context())
    assert failed(trusted) == {} and "TCP and TLS" in trusted["endpoint"]
    rogue = failed(doctor_against(stack, rogue_server_context(tmp_path / "rogue")))
    assert rogue["endpoint"].startswith("TLS handshake failed (ResourceManager")
    assert "SSLCertVerificationError" in rogue["endpoint"]
    assert rogue["cloud caller"].startswith("NetworkError")  # the client refuses it too


def test_a_database_behind_its_migrations(stack: LocalStack, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    # Slack-only approvals, so the policy check need not read enrolments from it.
    code, lines = doctor(stack, database_url=f"sqlite:///{empty}", step_up="off")
    assert code == 1 and list(failed(lines)) == ["database"]
    head = ScriptDirectory.from_config(alembic_config(f"sqlite:///{empty}")).get_current_head()
    assert failed(lines)["database"] == (
        f"sqlite:///{empty} is at no migration at all, the code needs {head} "
        "(run offboard-bot db upgrade)"
    )
    code, lines = doctor(stack, database_url=f"sqlite:///{tmp_path / 'missing.db'}")
    # With step-up on, nobody can be enrolled in a database that does not exist.
    assert "only 0 approvers are enrolled (nobody)" in failed(lines)["approval policy"]
    assert failed(lines)["database"].endswith(
        "missing.db: no such file (run offboard-bot db upgrade)"
    )
    assert not (tmp_path / "missing.db").exists()


def test_an_unreachable_database_hides_its_password(stack: LocalStack) -> None:
    url = f"postgresql://offboard:hunter2-secret@127.0.0.1:{closed_port()}/offboard"
    code, lines = doctor(stack, database_url=url)
    reason = failed(lines)["database"]
    assert code == 1
    assert reason.startswith("postgresql+psycopg://offboard:***@127.0.0.1:")
    assert "cannot connect (OperationalError" in reason
    assert "hunter2-secret" not in str(lines)


def test_the_cli_verb_with_the_official_chain(stack: LocalStack, tmp_path: Path) -> None:
    settings = stack.settings
    assert settings.slack_bot_token and settings.slack_signing_secret
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "SLACK_BOT_TOKEN": settings.slack_bot_token.get_secret_value(),
        "SLACK_API_URL": settings.slack_api_url,
        "OFFBOARD_ALIBABA_ENDPOINT": str(settings.alibaba_endpoint),
        "OFFBOARD_DATABASE_URL": settings.database_url,
        "OFFBOARD_APPROVAL_CHANNEL": APPROVAL_CHANNEL,
        "OFFBOARD_APPROVERS": ",".join(sorted(settings.approvers)),
        "OFFBOARD_SECRET_KEY": DEMO_SECRET_KEY,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "all 9 checks passed" and all(line.startswith("ok") for line in lines[:-1])
    assert "from the environment variables, through the official credential chain" in done.stdout


def test_doctor_says_when_decisions_are_not_sealed(stack: LocalStack) -> None:
    code, lines = doctor(stack, step_up="off", secret_key=None)
    assert code == 0
    assert lines["approval policy"].endswith("decisions are not sealed (set OFFBOARD_SECRET_KEY)")
    code, lines = doctor(stack, step_up="off", secret_key=SecretStr("not base64!"))
    assert code == 1 and list(failed(lines)) == ["approval policy"]
    assert failed(lines)["approval policy"].startswith("OFFBOARD_SECRET_KEY is not valid base64")

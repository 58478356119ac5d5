"""No step-up secret, code or URI ever reaches the logs, Slack or the audit log.

A whole session with everything that handles them: an operator enrols someone on the
host (the command line prints the URI and recovery codes there, by design), approvers
type right, wrong, replayed and recovery codes, requests run. Then everything Slack was
sent (the stand-in's record), the exported audit chain and every log line (DEBUG, as
JSON) are searched for each secret, each recovery code, each code typed and any URI.
"""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
import structlog
from click.testing import CliRunner

from bot import logs
from bot.approvals import totp
from bot.cli_totp import totp as totp_verbs
from bot.devstack.authenticator import DEMO_SECRET_KEY, demo_totp_secret
from bot.devstack.local_stack import APPROVERS, REQUESTER, LocalStack, local_stack
from bot.devstack.payloads import Person
from storage import audit
from storage.records import RequestRecord
from tests.support.clock import FakeClock
from tests.support.slack import Slack

BOB, CAROL = APPROVERS
DAVE = Person("U0DAVE", "dave")


def typed_codes_leak(code: str, text: str) -> bool:
    # A 6-digit code as a token of its own: not a piece of a longer id, number or ts.
    return re.search(rf"(?<![0-9A-Za-z.]){code}(?![0-9A-Za-z.])", text) is not None


@pytest.fixture
def json_logs() -> object:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.configure("DEBUG", json=True)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@dataclass
class Secrets:
    """Everything that must never show up: secrets, recovery codes, the codes typed."""

    totp: list[str] = field(default_factory=list)
    recovery: list[str] = field(default_factory=list)
    typed: list[str] = field(default_factory=list)


def enrol_dave(stack: LocalStack, found: Secrets) -> None:
    """An operator enrols dave on the host; the command prints his secrets there only."""
    env = {"OFFBOARD_DATABASE_URL": stack.settings.database_url}
    env["OFFBOARD_SECRET_KEY"] = DEMO_SECRET_KEY
    # The verb itself (not through `main`, which would set up logging of its own).
    enrolled = CliRunner().invoke(totp_verbs, ["enrol", DAVE.user_id], env=env)
    assert enrolled.exit_code == 0, enrolled.output
    secret = pyotp.parse_uri(re.findall(r"otpauth://\S+", enrolled.stdout)[0]).secret
    found.totp.append(secret)
    found.recovery += re.findall(r"[1-8]-[0-9A-Z]{5}-[0-9A-Z]{5}", enrolled.stdout)
    assert "otpauth" not in enrolled.stderr and secret not in enrolled.stderr


def play(slack: Slack, found: Secrets) -> None:
    """Right, replayed, wrong and recovery codes, and dave's; both requests then run."""
    stack, clock = slack.stack, slack.clock
    first = slack.request(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    second = slack.request(REQUESTER, "DeleteAccount AccountId=1276001234567890")

    def approve(person: Person, request: RequestRecord, code: str) -> str:
        found.typed.append(code)
        view = slack.open_step_up(person, request)
        assert view is not None
        return slack.submit_code(person, view, code).text

    bob_code = stack.authenticator.code(BOB.user_id)
    assert approve(BOB, first, bob_code) == ""
    assert "already used" in approve(BOB, second, bob_code)  # replayed
    near = stack.authenticator.code_at(CAROL.user_id, clock())
    guess = next(c for c in ("424242", "135791") if c != near)
    assert "not right" in approve(CAROL, first, guess)
    assert approve(CAROL, first, stack.authenticator.recovery_codes[CAROL.user_id][0]) == ""
    assert approve(DAVE, second, pyotp.TOTP(found.totp[-1]).at(clock())) == ""
    clock.advance(30)
    assert approve(BOB, second, stack.authenticator.code(BOB.user_id)) == ""
    for request in (first, second):
        slack.wait_status(request, "SUCCEEDED", "FAILED")
    slack.settle()


def test_no_secret_code_or_uri_reaches_logs_slack_or_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], json_logs: object
) -> None:
    # The command line stamps its notice with the host's real time: start the bot's
    # clock there too, so that notice is due when the announcer looks.
    clock = FakeClock(datetime.now(UTC))
    team = [REQUESTER.user_id, BOB.user_id, CAROL.user_id]
    found = Secrets(totp=[demo_totp_secret(u) for u in team] + [DEMO_SECRET_KEY])
    approvers = frozenset([*team, DAVE.user_id])
    with local_stack(tmp_path, clock=clock, approvers=approvers, enrolled=team) as stack:
        enrol_dave(stack, found)
        clock.advance(60)
        play(Slack(stack, clock), found)
        sent = [c.params for c in (*stack.setup.calls, *stack.standin.calls())]
        exported = io.StringIO()
        audit.export(stack.deps.repo.engine, exported)
    found.recovery += [c for codes in stack.authenticator.recovery_codes.values() for c in codes]
    captured = capsys.readouterr()
    places = {
        "Slack": json.dumps(sent, default=str),
        "the audit": exported.getvalue(),
        "logs": captured.out + captured.err,
    }
    assert "ACS3 canonical request" in places["logs"]  # DEBUG logs were captured
    assert "recovery code" in places["Slack"] and "recovery_used" in places["the audit"]
    for where, text in places.items():
        assert "otpauth" not in text, where
        for secret in found.totp:
            assert secret not in text, f"a TOTP secret or the key in {where}"
        for code in found.recovery:
            assert code not in text, f"a recovery code in {where}"
        for code in found.typed:
            if totp.parse_code(code) == totp.TotpCode(code):
                assert not typed_codes_leak(code, text), f"the typed code {code} in {where}"

"""`offboard-bot totp enrol | reset | list | rotate-key`, as an operator runs them on the host."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner, Result

from bot.approvals import recovery
from bot.approvals.sealing import SecretBox
from bot.cli import main
from storage.db import make_engine
from storage.migrate import upgrade
from storage.repository import Repository

URI = re.compile(r"otpauth://totp/\S+")
RECOVERY = re.compile(r"^  ([1-8]-[0-9A-Z]{5}-[0-9A-Z]{5})$", re.MULTILINE)


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'totp.db'}"
    upgrade(url)
    return {"OFFBOARD_DATABASE_URL": url, "OFFBOARD_SECRET_KEY": new_key()}


def run(args: list[str], env: dict[str, str], **extra: str) -> Result:
    return CliRunner().invoke(main, ["totp", *args], env={**env, **extra})


def repo_of(env: dict[str, str]) -> Repository:
    return Repository(make_engine(env["OFFBOARD_DATABASE_URL"]))


def test_enrol_prints_the_uri_a_qr_code_and_eight_recovery_codes_once(
    env: dict[str, str],
) -> None:
    done = run(["enrol", "U0BOB"], env)
    assert done.exit_code == 0, done.output
    [uri] = URI.findall(done.stdout)
    assert uri.startswith("otpauth://totp/Offboard:U0BOB?")
    assert "▀" in done.stdout or "█" in done.stdout  # the terminal QR code
    codes = RECOVERY.findall(done.stdout)
    assert len(codes) == 8
    secret = pyotp.parse_uri(uri).secret
    repo = repo_of(env)
    try:
        enrolment = repo.enrolment("U0BOB")
        assert enrolment is not None
        # Stored sealed (with the configured key, bound to the user) and hashed only.
        assert secret not in enrolment.sealed_secret
        box = SecretBox.from_base64(env["OFFBOARD_SECRET_KEY"])
        assert box.open("U0BOB", enrolment.sealed_secret) == secret
        for plain, stored in zip(codes, enrolment.recovery, strict=True):
            assert plain not in stored.digest
            assert recovery.matches(plain, stored.salt, stored.digest)
        # Audited and announced (through the outbox), with nothing secret in either.
        [event] = [e for e in audit_of(repo) if e["kind"] == "step_up.enrolled"]
        assert event["data"] == {"user": "U0BOB", "recovery_codes": 8}
        [notice] = repo.undelivered_announcements()
        assert notice.kind == "notice" and notice.payload["event"] == "enrolled"
        assert secret not in str(notice.payload) and "otpauth" not in str(notice.payload)
    finally:
        repo.engine.dispose()
    again = run(["enrol", "U0BOB"], env)
    assert again.exit_code == 1 and "already enrolled" in again.output
    assert "otpauth" not in again.output


def audit_of(repo: Repository) -> list[dict[str, object]]:
    import io
    import json

    from storage import audit

    out = io.StringIO()
    audit.export(repo.engine, out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_list_and_reset(env: dict[str, str]) -> None:
    assert run(["enrol", "U0BOB"], env).exit_code == 0
    assert run(["enrol", "U0CAROL"], env).exit_code == 0
    listed = run(["list"], env)
    assert listed.exit_code == 0
    assert "U0BOB" in listed.output and "U0CAROL" in listed.output and "2 enrolled" in listed.output
    assert "8 recovery codes left" in listed.output and "otpauth" not in listed.output
    reset = run(["reset", "U0BOB"], env)
    assert reset.exit_code == 0, reset.output
    assert "U0BOB" not in run(["list"], env).output
    assert run(["reset", "U0BOB"], env).exit_code == 1  # not enrolled any more
    repo = repo_of(env)
    try:
        kinds = [e["kind"] for e in audit_of(repo)]
        events = [n.payload["event"] for n in repo.undelivered_announcements()]
    finally:
        repo.engine.dispose()
    assert kinds == ["step_up.enrolled", "step_up.enrolled", "step_up.reset"]
    assert events == ["enrolled", "enrolled", "reset"]


def test_rotate_key_reseals_every_secret_or_none(env: dict[str, str]) -> None:
    secrets = {}
    for user in ("U0BOB", "U0CAROL"):
        done = run(["enrol", user], env)
        secrets[user] = pyotp.parse_uri(URI.findall(done.stdout)[0]).secret
    new = new_key()
    # A wrong current key: nothing is re-encrypted.
    wrong = run(["rotate-key"], env, OFFBOARD_SECRET_KEY=new_key(), OFFBOARD_NEW_SECRET_KEY=new)
    assert wrong.exit_code == 1 and "nothing was re-encrypted" in wrong.output
    rotated = run(["rotate-key"], env, OFFBOARD_NEW_SECRET_KEY=new)
    assert rotated.exit_code == 0, rotated.output
    assert "2 secrets re-encrypted" in rotated.output
    assert new not in rotated.output
    repo = repo_of(env)
    try:
        old_box = SecretBox.from_base64(env["OFFBOARD_SECRET_KEY"])
        new_box = SecretBox.from_base64(new)
        for enrolment in repo.enrolments():
            assert (
                new_box.open(enrolment.user_id, enrolment.sealed_secret)
                == secrets[enrolment.user_id]
            )
            with pytest.raises(Exception, match="does not open"):
                old_box.open(enrolment.user_id, enrolment.sealed_secret)
        assert repo.enrolled_users(new_box.key_id) == {"U0BOB", "U0CAROL"}
    finally:
        repo.engine.dispose()
    # Until OFFBOARD_SECRET_KEY is the new key, the list says the secrets do not open.
    assert "NOT sealed with the current" in run(["list"], env).output
    assert "NOT sealed" not in run(["list"], env, OFFBOARD_SECRET_KEY=new).output


@pytest.mark.parametrize(
    ("args", "extra", "words"),
    [
        (["enrol", "bob"], {}, "not a Slack user id"),
        (["enrol", "U0BOB"], {"OFFBOARD_SECRET_KEY": ""}, "OFFBOARD_SECRET_KEY must be set"),
        (["enrol", "U0BOB"], {"OFFBOARD_SECRET_KEY": "c2hvcnQ="}, "decodes to 5 bytes"),
        (["rotate-key"], {"OFFBOARD_NEW_SECRET_KEY": "c2hvcnQ="}, "the new key decodes"),
    ],
)
def test_bad_input_is_refused_clearly(
    env: dict[str, str], args: list[str], extra: dict[str, str], words: str
) -> None:
    done = run(args, env, **extra)
    assert done.exit_code != 0 and words in done.output
    assert "otpauth" not in done.output
    repo = repo_of(env)
    try:
        assert repo.enrolments() == []
    finally:
        repo.engine.dispose()

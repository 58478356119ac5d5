"""`offboard-bot totp ...`: approver step-up enrolment, on the bot's host only.

Never through Slack: a stolen Slack session is exactly what a second factor is for, so
the secret, its URI and the recovery codes are printed on this terminal only.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.approvals.enrolment import Enrolled, Enrolments


@click.group()
def totp() -> None:
    """Approver step-up enrolment, on the bot's host only: never through Slack."""


@totp.command("enrol")
@click.argument("user_id")
def totp_enrol(user_id: str) -> None:
    """Enrol USER_ID: prints the otpauth URI, its QR code and eight recovery codes, once."""
    from storage.repository.step_up import AlreadyEnrolled

    try:
        enrolled = _enrolments().enrol(_slack_user(user_id), by=_operator())
    except AlreadyEnrolled:
        raise click.ClickException(
            f"{user_id} is already enrolled; `offboard-bot totp reset {user_id}` first"
        ) from None
    _show(enrolled)


@totp.command("reset")
@click.argument("user_id")
def totp_reset(user_id: str) -> None:
    """Forget USER_ID's secret and recovery codes: they cannot approve until enrolled again."""
    from storage.repository.step_up import NotEnrolled

    try:
        _enrolments().reset(_slack_user(user_id), by=_operator())
    except NotEnrolled:
        raise click.ClickException(f"{user_id} is not enrolled") from None
    click.echo(f"{user_id}: enrolment reset; the approval channel will be told")


@totp.command("list")
def totp_list() -> None:
    """Who is enrolled, since when, recovery codes left, lock-outs (never a secret)."""
    listed = _enrolments().listing()
    for item in listed:
        notes = [f"{item.recovery_left} recovery codes left"]
        if item.locked_until is not None:
            notes.append(f"locked until {item.locked_until:%Y-%m-%d %H:%M} UTC")
        if not item.opens:
            notes.append("NOT sealed with the current OFFBOARD_SECRET_KEY: re-enrol")
        when = f"{item.enrolled_at:%Y-%m-%d %H:%M} UTC"
        click.echo(f"{item.user_id}  enrolled {when} by {item.enrolled_by}; {'; '.join(notes)}")
    click.echo(f"{len(listed)} enrolled")


@totp.command("rotate-key")
def totp_rotate_key() -> None:
    """Re-encrypt every secret from OFFBOARD_SECRET_KEY to a new key, in one transaction.

    The new key is read from OFFBOARD_NEW_SECRET_KEY, or asked for (hidden), never from
    the command line (visible to every user of the host). Stop the bot first, and start
    it again with OFFBOARD_SECRET_KEY set to the new key.
    """
    import os

    from bot.approvals.enrolment import rotate_key
    from bot.approvals.sealing import SealBroken, SecretBox, SecretKeyProblem
    from bot.deps import utcnow

    enrolments = _enrolments()
    typed = os.environ.get("OFFBOARD_NEW_SECRET_KEY") or click.prompt(
        "New key (base64 of 32 bytes)", hide_input=True, confirmation_prompt=True
    )
    try:
        new = SecretBox.from_base64(typed, name="the new key")
    except SecretKeyProblem as problem:
        raise click.ClickException(str(problem)) from None
    try:
        count = rotate_key(enrolments.repo, enrolments.box, new, by=_operator(), now=utcnow())
    except SealBroken as problem:  # the old key is not the one they were sealed with
        raise click.ClickException(f"nothing was re-encrypted: {problem}") from None
    click.echo(f"{count} secrets re-encrypted; set OFFBOARD_SECRET_KEY to the new key")


def _enrolments() -> Enrolments:
    from bot.approvals.enrolment import Enrolments
    from bot.approvals.policy import PolicyError
    from bot.approvals.sealing import SecretBox
    from bot.cli_settings import load_settings
    from bot.deps import utcnow
    from storage.db import make_engine
    from storage.repository import Repository

    settings = load_settings()
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    try:
        box = SecretBox.from_base64(key)
    except PolicyError as problem:
        raise click.ClickException(str(problem)) from None
    return Enrolments(Repository(make_engine(settings.database_url)), box, utcnow)


def _slack_user(user_id: str) -> str:
    from bot.slack.views.text import is_user_id

    if not is_user_id(user_id):
        raise click.BadParameter(f"{user_id!r} is not a Slack user id (U… or W…)")
    return user_id


def _operator() -> str:
    """Who ran the command, for the audit log: the host's user and name."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _show(enrolled: Enrolled) -> None:
    """The secrets, on this terminal only; they are stored sealed and never shown again."""
    import segno

    click.echo(f"Enrolled {enrolled.user_id}. Shown once, here only: never paste it in Slack.")
    click.echo("\nScan this with the approver's authenticator app (or enter the URI):\n")
    qr = segno.make(enrolled.uri, error="m")
    qr.terminal(out=sys.stdout, compact=True)
    click.echo(f"\n{enrolled.uri}\n")
    click.echo("Recovery codes (each works once instead of a code; keep them offline):")
    for code in enrolled.recovery_codes:
        click.echo(f"  {code}")

"""`offboard-bot`: a tiny function per verb that delegates to library code.

Settings and heavy modules load inside each verb, so `offboard-bot --help` needs no
environment and starts fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from bot.approvals.enrolment import Enrolled, Enrolments
    from bot.settings import Settings


class SettingsError(click.ClickException):
    """Settings the bot cannot run with: exit 2, like any other bad input."""

    exit_code = 2


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        # Name the variable and the rule, never echo the value (it may be a secret).
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


@click.group()
@click.option("--log-level", default="INFO", show_default=True, help="Log level.")
def main(log_level: str) -> None:
    """Offboard: Slack approvals for destructive Alibaba Cloud calls."""
    from bot import logs

    logs.configure(log_level, json=not sys.stderr.isatty())


_HOST_HELP = "Address to listen on (in Socket Mode: for OFFBOARD_METRICS_PORT)."


@main.command()
@click.option(
    "--http", "http_mode", is_flag=True, help="Serve HTTP even if SLACK_APP_TOKEN is set."
)
@click.option("--host", default="127.0.0.1", show_default=True, help=_HOST_HELP)
@click.option("--port", default=3000, show_default=True, type=int)
def serve(http_mode: bool, host: str, port: int) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP.

    Two processes: this one answers Slack; a work process it starts (and restarts) runs
    everything after the acks, the worker and the announcer.
    """
    from bot.slack.runtime import serve as run

    run(_settings(), force_http=http_mode, host=host, port=port)


@main.command()
def demo() -> None:
    """The whole flow end to end on this machine: no credentials, no network."""
    from bot.devstack.demo import run_demo

    sys.exit(run_demo())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9000, show_default=True, type=int)
def sandbox(host: str, port: int) -> None:
    """Run the local sandbox cloud (signature-checking, stateful)."""
    from commands.sandbox import serve as run

    run(host=host, port=port)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from storage.migrate import upgrade

    url = _settings().database_url
    upgrade(url)
    click.echo("database is at the latest revision")


@main.group()
def audit() -> None:
    """The append-only, hash-chained audit log."""


@audit.command("verify")
@click.option(
    "--anchor",
    metavar="DIGEST",
    default=None,
    help="A head kept from before (`audit head`): fail if the chain no longer reaches it.",
)
def audit_verify(anchor: str | None) -> None:
    """Check the audit chain and that every executed request was approved.

    Names the first bad event and every executed request whose submission or approvals
    are missing; exits 1 when anything is wrong.
    """
    from storage import audit_verify as checks
    from storage.db import make_engine

    if anchor is not None:
        try:
            checks.parse_anchor(anchor)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--anchor") from None
    result = checks.verify(make_engine(_settings().database_url), anchor=anchor)
    click.echo(str(result))
    if not result.ok:
        sys.exit(1)


@audit.command("head")
def audit_head() -> None:
    """Print the last event's digest (<seq>:<hash>); keep it elsewhere as an anchor."""
    from storage import audit_verify as checks
    from storage.db import make_engine

    click.echo(checks.head(make_engine(_settings().database_url)))


@audit.command("export")
@click.option("--output", "-o", type=click.File("w"), default="-", help="File (default stdout).")
def audit_export(output: TextIO) -> None:
    """Write the audit chain as JSON lines; the head written goes to stderr."""
    from storage import audit as audit_log
    from storage.db import make_engine

    count, head = audit_log.export(make_engine(_settings().database_url), output)
    click.echo(f"exported {count} events; head {head} (an anchor for audit verify)", err=True)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("action")
@click.argument("assignments", nargs=-1)
@click.option(
    "--dry-run", is_flag=True, help="Print the signed request (signature masked); send nothing."
)
def call(action: str, assignments: tuple[str, ...], dry_run: bool) -> None:
    """Run a read ACTION; print any other call's signed request with --dry-run.

    Parameters are given as Param=Value. Nothing that changes the cloud (a write or a
    destructive call) is sent from here: it goes through Slack and other people's
    approval. Exit codes: 0 done, 1 the cloud refused or could not be reached, 2 bad
    input or set-up, 3 refused because the call changes the cloud.
    """
    from bot.calls import run_call

    code = run_call(_settings(), action, assignments, dry_run=dry_run, out=click.echo)
    sys.exit(code)


@main.command()
@click.option(
    "--bastionhost-region",
    "regions",
    multiple=True,
    default=("cn-hangzhou",),
    show_default=True,
    help="A region whose Bastionhost endpoint to check (repeatable).",
)
def doctor(regions: tuple[str, ...]) -> None:
    """Check a deployment: Slack token and scopes, channel, approvers, policy, cloud
    credentials and caller, endpoints, database. One line per check; exit 0 only when
    all pass."""
    from bot.doctor import run_doctor

    sys.exit(run_doctor(_settings(), out=click.echo, bastionhost_regions=regions))


@main.group()
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
    from bot.deps import utcnow
    from storage.db import make_engine
    from storage.repository import Repository

    settings = _settings()
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


if __name__ == "__main__":  # pragma: no cover
    main()

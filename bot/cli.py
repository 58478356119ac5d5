"""`offboard-bot`: a tiny function per verb that delegates to library code.

Settings and heavy modules load inside each verb, so `offboard-bot --help` needs no
environment and starts fast.
"""

from __future__ import annotations

import sys
from typing import TextIO

import click

from bot.cli_settings import load_settings
from bot.cli_totp import totp


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

    run(load_settings(), force_http=http_mode, host=host, port=port)


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

    url = load_settings().database_url
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
    result = checks.verify(make_engine(load_settings().database_url), anchor=anchor)
    click.echo(str(result))
    if not result.ok:
        sys.exit(1)


@audit.command("head")
def audit_head() -> None:
    """Print the last event's digest (<seq>:<hash>); keep it elsewhere as an anchor."""
    from storage import audit_verify as checks
    from storage.db import make_engine

    click.echo(checks.head(make_engine(load_settings().database_url)))


@audit.command("export")
@click.option("--output", "-o", type=click.File("w"), default="-", help="File (default stdout).")
def audit_export(output: TextIO) -> None:
    """Write the audit chain as JSON lines; the head written goes to stderr."""
    from storage import audit as audit_log
    from storage.db import make_engine

    count, head = audit_log.export(make_engine(load_settings().database_url), output)
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

    code = run_call(load_settings(), action, assignments, dry_run=dry_run, out=click.echo)
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

    sys.exit(run_doctor(load_settings(), out=click.echo, bastionhost_regions=regions))


main.add_command(totp)


if __name__ == "__main__":  # pragma: no cover
    main()

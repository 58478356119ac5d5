"""`offboard-bot`: a tiny function per verb that delegates to library code.

Settings and heavy modules load inside each verb, so `offboard-bot --help` needs no
environment and starts fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from bot.settings import Settings


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
        raise click.ClickException(f"invalid settings: {problems}") from None


@click.group()
@click.option("--log-level", default="INFO", show_default=True, help="Log level.")
def main(log_level: str) -> None:
    """Offboard: Slack approvals for destructive Alibaba Cloud calls."""
    from bot import logs

    logs.configure(log_level, json=not sys.stderr.isatty())


@main.command()
@click.option(
    "--http", "http_mode", is_flag=True, help="Serve HTTP even if SLACK_APP_TOKEN is set."
)
@click.option("--host", default="127.0.0.1", show_default=True)
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
def audit_verify() -> None:
    """Check the audit chain; names the first bad event."""
    from storage import audit as audit_log
    from storage.db import make_engine

    result = audit_log.verify(make_engine(_settings().database_url))
    click.echo(str(result))
    if not result.ok:
        sys.exit(1)


@audit.command("export")
@click.option("--output", "-o", type=click.File("w"), default="-", help="File (default stdout).")
def audit_export(output: TextIO) -> None:
    """Write the audit chain as JSON lines."""
    from storage import audit as audit_log
    from storage.db import make_engine

    audit_log.export(make_engine(_settings().database_url), output)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("action")
@click.argument("assignments", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Print the signed request instead of sending it.")
def call(action: str, assignments: tuple[str, ...], dry_run: bool) -> None:
    """Run a read-only ACTION, or print a destructive one's signed request with --dry-run.

    Parameters are given as Param=Value. Destructive calls are never sent from here:
    they go through Slack and two approvers.
    """
    from bot.calls import run_call

    code = run_call(_settings(), action, assignments, dry_run=dry_run, out=click.echo)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()

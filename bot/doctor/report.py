"""Run every check, print one line each, and say whether the deployment is ready.

The checks, in order: the Slack token and its scopes, the approval channel, the
approvers, the approval policy (``bot.doctor.slack_checks``); the cloud credentials,
the caller's identity and the product endpoints (``bot.doctor.cloud_checks``); the
database and its migrations (``bot.doctor.database``). Each check catches its own
failures and words them itself: a secret never reaches the output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.settings import Settings
    from commands.credentials import CredentialsProvider


@dataclass(frozen=True)
class Check:
    """The outcome of one check: what was checked, whether it passed, and the detail."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAIL':<4}  {self.name}: {self.detail}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def run_doctor(
    settings: Settings,
    *,
    out: Callable[[str], None],
    credentials: CredentialsProvider | None = None,
    slack: WebClient | None = None,
    bastionhost_regions: Sequence[str] = ("cn-hangzhou",),
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """Print one line per check, then a summary; 0 when all passed, else 1.

    ``credentials`` and ``slack`` default to what ``serve`` would use: the official
    credential chain and a Web API client for ``SLACK_BOT_TOKEN``.
    ``bastionhost_regions`` are the regions whose Bastionhost endpoint is checked.
    """
    from bot.deps import make_slack_client
    from bot.doctor import cloud_checks, slack_checks
    from bot.doctor.database import run as database_checks

    if slack is None:
        slack = make_slack_client(settings)
    checks = _chain(
        slack_checks.run(slack, settings, clock),
        cloud_checks.run(settings, credentials, bastionhost_regions),
        database_checks(settings.database_url),
    )
    total = failed = 0
    for check in checks:
        out(check.line())
        total += 1
        failed += not check.ok
    if failed:
        out(f"{failed} of {total} checks failed")
        return 1
    out(f"all {total} checks passed")
    return 0


def _chain(*parts: Iterable[Check]) -> Iterator[Check]:
    for part in parts:
        yield from part

"""The pre-check findings on the approval card: what the read-only look-ups found.

Findings are not signed, so unlike the parameters they may be shortened to keep the card
within Slack's 50 blocks: at most eight detail lines each, and an "…and N more" line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.slack.views.text import context, mrkdwn_safe, section

FindingStatus = Literal["ok", "blocked", "warning", "error"]

FINDING_ICONS: dict[str, str] = {
    "ok": ":white_check_mark:",
    "blocked": ":no_entry:",
    "warning": ":warning:",
    "error": ":x:",
}

_MAX_DETAIL_LINES = 8


@dataclass(frozen=True)
class Finding:
    """One pre-check result, e.g. CheckAccountDelete: blocked, with its reasons."""

    title: str
    status: FindingStatus
    details: tuple[str, ...] = ()


def findings_blocks(findings: Sequence[Finding], room: int) -> list[dict[str, Any]]:
    """The "Pre-checks" heading and one section per finding, in at most ``room`` blocks."""
    if not findings:
        return [section("*Pre-checks*\n_No pre-checks for this operation._")]
    blocks = [section("*Pre-checks*")]
    # The heading takes one block, and an "…and N more" line one more when needed.
    shown = findings if len(findings) <= room - 1 else findings[: max(room - 2, 0)]
    for finding in shown:
        icon = FINDING_ICONS.get(finding.status, ":grey_question:")
        lines = [f"{icon} *{mrkdwn_safe(finding.title, 200)}* ({mrkdwn_safe(finding.status, 20)})"]
        details = finding.details[:_MAX_DETAIL_LINES]
        lines.extend(f"• {mrkdwn_safe(detail, 400)}" for detail in details)
        if len(finding.details) > len(details):
            lines.append(f"_…and {len(finding.details) - len(details)} more_")
        blocks.append(section("\n".join(lines)))
    if len(findings) > len(shown):
        blocks.append(context(f"_…and {len(findings) - len(shown)} more pre-check results_"))
    return blocks

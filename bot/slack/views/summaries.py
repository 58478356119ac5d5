"""A request summed up for one person: the requester's DM, ``/offboard status`` and ``list``.

Each returns a :class:`~bot.slack.views.replies.SlackMessage` from the card's model, so
they say what the card says (the same tally, the same status line).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.views.card import CardModel, status_line, tally
from bot.slack.views.replies import SlackMessage, message
from bot.slack.views.text import (
    SAFE_URL,
    chunks,
    code,
    escape,
    mention,
    mrkdwn_safe,
    slack_date,
    split_escaped,
)

# A summary up to this long goes in the first paragraph; a longer one gets its own.
_SHORT_SUMMARY = 500


def requester_dm(model: CardModel, permalink: str | None = None) -> SlackMessage:
    """The direct message telling the requester how their request ended.

    The summary can quote parameter values, so it is never cut: a long one gets sections
    of its own after the first line.
    """
    summary = escape(model.summary)
    short = len(summary) <= _SHORT_SUMMARY
    head = f"Your request `{code(model.request_id)}`" + (f" ({summary})" if short else "")
    lines = [f"{head}: *{status_line(model.status)}*", tally(model)]
    if model.result_summary:
        lines.append(mrkdwn_safe(model.result_summary, 1500))
    if permalink and SAFE_URL.fullmatch(permalink):
        lines.append(f"<{escape(permalink)}|Open the approval card>")
    return message("\n".join(lines), *([] if short else split_escaped(summary)))


def status_text(model: CardModel) -> SlackMessage:
    """``/offboard status ID``: one request in a few lines, its summary never cut."""
    summary = escape(model.summary)
    short = len(summary) <= _SHORT_SUMMARY
    lines = [
        f"`{code(model.request_id)}` · `{code(model.action)}` · *{status_line(model.status)}*",
        *([summary] if short else []),
        f"Requested by {mention(model.requester)} {slack_date(model.created_at)}",
        tally(model),
    ]
    if model.result_summary:
        lines.append(mrkdwn_safe(model.result_summary, 1000))
    return message("\n".join(lines), *([] if short else split_escaped(summary)))


def pending_list(models: Sequence[CardModel]) -> SlackMessage:
    """``/offboard list``: the pending requests, one line each."""
    if not models:
        return message("No requests are waiting for approval.")
    lines = [
        f"• `{code(m.request_id)}` `{code(m.action)}` {mrkdwn_safe(m.summary, 300)} — "
        f"{mention(m.requester)}, {len(m.approvals)} of {m.required}, "
        f"expires {slack_date(m.expires_at)}"
        for m in models
    ]
    return message(f"*{len(models)} pending*", *chunks(lines))

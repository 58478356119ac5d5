"""The bot's Home tab, one per person: what waits for their approval, their own
requests, the last outcomes.

``build_home(model)`` is a ``home`` view for ``views.publish``. A request that waits for
the viewer ends in the card's own buttons (``action_id`` ``approve`` / ``reject``,
``value`` = the request id, docs/INTERFACE.md), so the card's listeners take the click: a Home tab
has no message to update, and the decision reaches the card (and this tab again) through
the outbox. Everything that came from a person or the cloud is escaped
(:mod:`bot.slack.views.text`); people appear only as mentions built from user ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.views.card import APPROVE, REJECT, CardModel, decision_button, status_line
from bot.slack.views.text import (
    MAX_HEADER_TEXT,
    MAX_ID,
    code,
    context,
    mention,
    mrkdwn_safe,
    plain_text,
    section,
    slack_date,
    truncate,
)
from storage.states import Status

#: What the tab lists at most of each part: 20 waiting requests take 40 of the 100 blocks
#: a Home tab holds (slack-platform: "Blocks per ... Home tab: 100").
MAX_WAITING = 20
MAX_MINE = 10
MAX_OUTCOMES = 10
_SUMMARY = 300  # characters of a request's summary on one line
_CALL = 2000  # of a section's 3000 characters, for the call as it will be signed
_TOO_LONG = "_The parameters are too long to show here: approve on the card, which shows them all._"


@dataclass(frozen=True)
class HomeModel:
    """What one person's tab shows; ``refusal`` when they may not see requests at all."""

    viewer: str
    waiting: Sequence[CardModel] = ()
    mine: Sequence[CardModel] = ()
    outcomes: Sequence[CardModel] = ()
    refusal: str | None = None
    step_up: bool = False
    more_waiting: int = 0  # waiting beyond the ones listed


def build_home(model: HomeModel) -> dict[str, Any]:
    """The ``home`` view for ``views.publish`` (at most 100 blocks)."""
    if model.refusal is not None:
        refused = [_header("Offboard"), section(mrkdwn_safe(model.refusal, 2000))]
        return {"type": "home", "blocks": refused}
    blocks: list[dict[str, Any]] = [_header("Waiting for your approval")]
    waiting = model.waiting[:MAX_WAITING]
    if not waiting:
        blocks.append(context("Nothing waits for you."))
    for item in waiting:
        call = _call(item)
        blocks.append(section(f"{_line(item, who=True)}\n{call or _TOO_LONG}"))
        blocks.append(_buttons(item, approvable=call is not None))
    more = model.more_waiting + max(0, len(model.waiting) - MAX_WAITING)
    if more:
        blocks.append(context(f"{more} more wait for you: `/offboard list` shows them all."))
    if model.step_up and waiting:
        blocks.append(context("Approve asks for the code from your authenticator app."))
    blocks += [{"type": "divider"}, _header("Your requests")]
    blocks += [section(_line(m, who=False)) for m in model.mine[:MAX_MINE]] or [
        context("You have not asked for anything yet: `/offboard`.")
    ]
    blocks += [{"type": "divider"}, _header("Last outcomes")]
    blocks += [section(_outcome(m)) for m in model.outcomes[:MAX_OUTCOMES]] or [
        context("No request has finished yet.")
    ]
    return {"type": "home", "blocks": blocks}


def _line(model: CardModel, *, who: bool) -> str:
    asked = f"{mention(model.requester)} asks: " if who else ""
    reason = mrkdwn_safe(model.reason, _SUMMARY)
    head = (
        f"*`{code(model.action)}`* {mrkdwn_safe(model.summary, _SUMMARY)}\n"
        f"{asked}_{reason}_\n"
        f"{status_line(model.status)} · {len(model.approvals)} of {model.required} approvals"
    )
    if model.status == Status.PENDING:
        head += f" · expires {slack_date(model.expires_at)}"
    return f"{head} · `{code(model.request_id)}`"


def _call(model: CardModel) -> str | None:
    """The call exactly as it will be signed (approvers approve what they see), or None
    when it does not fit here: then only the card, which shows everything, offers
    Approve."""
    lines = [f"{model.product} {model.version} at {model.endpoint}"]
    lines += [f"{name} = {value}" for name, value in model.params.items()]
    text = "```" + code("\n".join(lines)) + "```"
    return text if len(text) <= _CALL else None


def _outcome(model: CardModel) -> str:
    line = (
        f"{status_line(model.status)}: *`{code(model.action)}`* "
        f"{mrkdwn_safe(model.summary, _SUMMARY)} · asked by {mention(model.requester)}"
        f" · `{code(model.request_id)}`"
    )
    if model.result_summary:
        line += f"\n{mrkdwn_safe(model.result_summary, 500)}"
    return line


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain_text(text, MAX_HEADER_TEXT)}


def _buttons(model: CardModel, *, approvable: bool) -> dict[str, Any]:
    # One actions block per request: action ids repeat across blocks, never inside one.
    what = f"{model.action} ({model.request_id})"
    approve = decision_button(APPROVE, "Approve", "primary", model.request_id, f"Approve {what}?")
    reject = decision_button(REJECT, "Reject", "danger", model.request_id, f"Reject {what}?")
    return {
        "type": "actions",
        "block_id": truncate(f"home:{model.request_id}:{len(model.approvals)}", MAX_ID),
        "elements": [approve, reject] if approvable else [reject],
    }

"""What ``/offboard`` tells people about itself: usage, help, and who may use it.

The help names the rules of the gate and the variables that set them, so a person who
is refused can tell their admin what to change. Texts are plain mrkdwn; anything a user
typed goes through :func:`bot.slack.views.text.mrkdwn_safe`.
"""

from __future__ import annotations

from bot.slack.views.replies import SlackMessage, message
from bot.slack.views.text import mrkdwn_safe

USAGE = (
    "*Usage*\n"
    "`/offboard` — open the request form\n"
    "`/offboard DeleteAccount AccountId=1699461245510000` — open it already filled "
    '(quote values with spaces: `reason="leaver ticket 42"`)\n'
    "`/offboard list` — pending requests\n"
    "`/offboard status ID` — one request\n"
    "`/offboard cancel ID` — withdraw your own pending request\n"
    "`/offboard help` — this text"
)

RULES = (
    "*Rules*\n"
    "• A destructive call needs `OFFBOARD_REQUIRED_APPROVALS` approvals (default 2); any "
    "other write needs `OFFBOARD_REQUIRED_WRITE_APPROVALS` (default 1, never 0). Approvals "
    "come from people other than the requester; one Reject ends the request.\n"
    "• Every request needs a reason of a few real words.\n"
    "• Calls that only read need no approval and are never requests: run them with "
    "`offboard-bot call` on the bot's host.\n"
    "• Requests are filed by `OFFBOARD_REQUESTERS` and `OFFBOARD_REQUESTER_USERGROUP` "
    "(when both are unset, every full member of this workspace), never by guests or "
    "bots. `list` and `status` answer requesters and approvers only."
)

_DENIED = {
    "not_requester": "You are not one of the people who may ask for Offboard requests "
    "(OFFBOARD_REQUESTERS / OFFBOARD_REQUESTER_USERGROUP); ask whoever runs Offboard.",
    "guest": "Guest accounts cannot ask for Offboard requests.",
    "bot": "Bots cannot ask for Offboard requests.",
    "deactivated": "Deactivated accounts cannot ask for Offboard requests.",
}
_UNCONFIRMED = (
    "Offboard could not confirm your Slack account just now, so it did not go ahead. "
    "Please try again in a minute."
)
_NOT_READER = "Only Offboard's requesters and approvers can list requests or look one up."


def usage(problem: str) -> SlackMessage:
    """Short usage help after text that did not parse."""
    return message(f"{mrkdwn_safe(problem, 1000)}\n{USAGE}")


def help_text() -> SlackMessage:
    """``/offboard help``: the usage and the rules of the gate."""
    return message(
        "*Offboard* asks for an Alibaba Cloud call that changes the cloud; other people "
        "approve it in the approval channel, then the bot makes the signed call once and "
        "reports in the card's thread.",
        USAGE,
        RULES,
    )


def access_refusal(denial: str, *, reading: bool = False) -> str:
    """Why someone may not file requests (or, ``reading``, list and look them up).

    ``denial`` is a :class:`bot.approvals.access.Denial` value. A reading refusal says
    nothing about any request, not even whether an id exists.
    """
    if denial == "unconfirmed":
        return _UNCONFIRMED
    if reading:
        return _NOT_READER
    return _DENIED.get(denial, _DENIED["not_requester"])

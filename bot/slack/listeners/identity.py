"""Who is acting: a Slack user id *and* the team it belongs to.

Slack: "A user id is unique within its workspace", and in Slack Connect channels people
from other organisations "can click buttons" on our messages; apps must decide who may
interact (api.slack.com/apis/channels-between-orgs). So an actor is (user id, team id),
and only people of the team the bot is installed in (``auth.test``'s team) may ask or
decide. Approver lists hold user ids of that team.

Beyond the team: who may file requests and who may read them is
:class:`bot.approvals.access.Access`'s (requesters, guests, bots). Those checks may ask
Slack (``users.info``), so listeners call :func:`may_file` and :func:`may_read` only in
their lazy part, after the ack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext

from bot.approvals.access import Access
from bot.slack.views.guide import access_refusal

FOREIGN_TEAM = (
    "Only members of the workspace Offboard is installed in can ask for or decide on "
    "requests; your click or command was not counted."
)


@dataclass(frozen=True)
class Actor:
    user_id: str
    team_id: str | None


def actor(body: Mapping[str, Any]) -> Actor:
    """The person behind a slash command, block_actions or view_submission payload."""
    user = body.get("user")
    if isinstance(user, Mapping):  # interactivity: the user object names their own team
        team = user.get("team_id") or _team(body)
        return Actor(str(user.get("id") or ""), str(team) if team else None)
    return Actor(str(body.get("user_id") or ""), _team(body))  # slash command form


def foreign(who: Actor, context: BoltContext) -> str | None:
    """A refusal when ``who`` is not of the installing team (or has no id), else None."""
    home = context.authorize_result.team_id if context.authorize_result else context.team_id
    if not who.user_id or not who.team_id or (home and who.team_id != home):
        return FOREIGN_TEAM
    return None


def may_file(who: Actor, context: BoltContext, access: Access) -> str | None:
    """A refusal when ``who`` may not file a request now, else None. May call Slack."""
    refused = foreign(who, context)
    if refused is not None:
        return refused
    denial = access.may_request(who.user_id)
    return None if denial is None else access_refusal(denial)


def may_read(who: Actor, context: BoltContext, access: Access) -> str | None:
    """A refusal when ``who`` may not list or look up requests, else None. May call Slack."""
    refused = foreign(who, context)
    if refused is not None:
        return refused
    denial = access.may_read(who.user_id)
    return None if denial is None else access_refusal(denial, reading=True)


def _team(body: Mapping[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, Mapping):
        return str(team.get("id") or "") or None
    return str(body.get("team_id") or "") or None

"""The Slack Web API methods the stand-in answers, and the workspace they act on.

Each answer is what Slack documents for the method, for the arguments Offboard sends:
``chat.postMessage`` returns a ``ts`` and refuses an unknown ``thread_ts``;
``chat.update`` drops the blocks when only ``text`` is sent, as Slack does; views are
checked against Slack's limits; ``conversations.open`` returns a ``D…`` channel;
``users.info`` answers Slack's user object for the people of ``Workspace.people`` (a guest,
a bot or a deactivated account as :data:`USER_KINDS` says) and ``user_not_found`` for anyone
else.

What ``offboard-bot doctor`` reads: every answer carries ``x-oauth-scopes`` (the scopes
granted to the token, as Slack sends them; ``Workspace.scopes``); ``conversations.info``
and ``users.info`` answer from ``Workspace.channels`` and ``Workspace.people``.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.manifest import BOT_SCOPES

# Slack: "Messages can contain up to 50 blocks"; "Modals ... up to 100 blocks";
# a view's title, submit and close texts are plain_text of at most 24 characters.
_MAX_MESSAGE_BLOCKS = 50
_MAX_VIEW_BLOCKS = 100
_MAX_VIEW_TITLE = 24

# How users.info describes each kind of account (api.slack.com/types/user): a guest has
# is_restricted, a single-channel guest also is_ultra_restricted; a deactivated account
# is deleted; "absent" answers user_not_found.
USER_KINDS: dict[str, dict[str, bool]] = {
    "member": {},
    "multi_channel_guest": {"is_restricted": True},
    "single_channel_guest": {"is_restricted": True, "is_ultra_restricted": True},
    "bot": {"is_bot": True},
    "deactivated": {"deleted": True},
    "absent": {},
}


@dataclass
class Message:
    """A message as it stands now in the stand-in's memory (after any chat.update)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    edits: int = 0


@dataclass
class Channel:
    """A conversation as ``conversations.info`` describes it to the bot."""

    name: str
    is_member: bool = True
    is_private: bool = True


@dataclass
class Member:
    """A workspace member as ``users.info`` describes them."""

    name: str
    deleted: bool = False
    is_bot: bool = False
    is_restricted: bool = False  # a guest
    is_ultra_restricted: bool = False  # a single-channel guest

    @classmethod
    def of_kind(cls, name: str, kind: str) -> Member:
        """A member of one of the :data:`USER_KINDS` ("member", "bot", a guest...)."""
        if kind not in USER_KINDS or kind == "absent":
            raise ValueError(f"unknown user kind {kind!r}; one of {sorted(USER_KINDS)}")
        return cls(name, **USER_KINDS[kind])


@dataclass
class Workspace:
    """What the stand-in's Slack workspace holds. Guarded by the stand-in's lock."""

    team_id: str
    bot_user_id: str
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    people: dict[str, Member] = field(default_factory=dict)
    scopes: tuple[str, ...] = BOT_SCOPES
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_ts(self) -> str:
        # Slack's ts is "<unix seconds>.<6 digits>", unique per channel and increasing.
        return f"{int(time.time())}.{next(self.seq):06d}"


def answer(workspace: Workspace, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """Slack's answer to ``method`` with ``params`` (``unknown_method`` for the rest)."""
    handler = _ANSWERS.get(method)
    if handler is None:
        return {"ok": False, "error": "unknown_method"}
    return handler(workspace, params)


def _auth_test(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://offboard-standin.slack.com/",
        "team": "Offboard stand-in",
        "user": "offboard",
        "team_id": w.team_id,
        "user_id": w.bot_user_id,
        "bot_id": "B0OFFBOT",
        "is_enterprise_install": False,
    }


def _post_message(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    channel = p.get("channel")
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    blocks = _blocks(p)
    if not p.get("text") and not blocks:
        return {"ok": False, "error": "no_text"}
    if len(blocks) > _MAX_MESSAGE_BLOCKS:
        return {"ok": False, "error": "invalid_blocks"}
    thread_ts = p.get("thread_ts")
    if thread_ts and (channel, thread_ts) not in w.messages:
        return {"ok": False, "error": "thread_not_found"}
    ts = w.next_ts()
    message = Message(channel, ts, str(p.get("text") or ""), blocks, thread_ts or None)
    w.messages[(channel, ts)] = message
    return {"ok": True, "channel": channel, "ts": ts, "message": {"text": message.text}}


def _update(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    message = w.messages.get((str(p.get("channel")), str(p.get("ts"))))
    if message is None:
        return {"ok": False, "error": "message_not_found"}
    blocks = _blocks(p)
    if len(blocks) > _MAX_MESSAGE_BLOCKS:
        return {"ok": False, "error": "invalid_blocks"}
    # Slack: "if you pass text and omit blocks, the old blocks are removed".
    if "blocks" in p or "text" in p:
        message.blocks = blocks
    if "text" in p:
        message.text = str(p["text"])
    message.edits += 1
    return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}


def _post_ephemeral(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    if not p.get("channel") or not p.get("user"):
        return {"ok": False, "error": "invalid_arguments"}
    return {"ok": True, "message_ts": w.next_ts()}


def _view(w: Workspace, p: dict[str, Any], *, needs_trigger: bool) -> dict[str, Any]:
    if needs_trigger and not p.get("trigger_id"):
        return {"ok": False, "error": "invalid_trigger_id"}
    view = p.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, dict):
        return {"ok": False, "error": "invalid_arguments"}
    title = view.get("title", {}).get("text", "")
    if view.get("type") != "modal" or not 0 < len(title) <= _MAX_VIEW_TITLE:
        return {"ok": False, "error": "invalid_arguments"}
    if len(view.get("blocks", [])) > _MAX_VIEW_BLOCKS:
        return {"ok": False, "error": "invalid_arguments"}
    view_id = p.get("view_id") or f"V{next(w.seq):08d}"
    return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{next(w.seq)}"}}


def _publish(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    # views.publish: a "home" view of at most 100 blocks, for one user of the workspace.
    view = p.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    user = str(p.get("user_id") or "")
    if user not in w.people:
        return {"ok": False, "error": "user_not_found"}
    if not isinstance(view, dict) or view.get("type") != "home":
        return {"ok": False, "error": "invalid_arguments"}
    if len(view.get("blocks", [])) > _MAX_VIEW_BLOCKS:
        return {"ok": False, "error": "invalid_arguments"}
    return {"ok": True, "view": {**view, "id": f"VHOME{user}", "hash": f"h{next(w.seq)}"}}


def _conversations_open(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    users = str(p.get("users") or "")
    if not users:
        return {"ok": False, "error": "users_not_found"}
    return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}


def _usergroup_users(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    users = w.usergroups.get(str(p.get("usergroup")))
    if users is None:
        return {"ok": False, "error": "no_such_subteam"}
    return {"ok": True, "users": list(users)}


def _blocks(p: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks = p.get("blocks") or []
    if isinstance(blocks, str):  # form-encoded callers send blocks as a JSON string
        blocks = json.loads(blocks)
    return list(blocks)


# -- what offboard-bot doctor reads ------------------------------------------------------


def response_headers(w: Workspace) -> dict[str, str]:
    """Slack sends the token's granted scopes on Web API answers: ``x-oauth-scopes``."""
    return {"x-oauth-scopes": ",".join(w.scopes)}


def _conversations_info(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    channel_id = str(p.get("channel") or "")
    channel = w.channels.get(channel_id)
    # A private channel the bot is not in is invisible to it, as to anyone outside it.
    if channel is None or (channel.is_private and not channel.is_member):
        return {"ok": False, "error": "channel_not_found"}
    return {
        "ok": True,
        "channel": {
            "id": channel_id,
            "name": channel.name,
            "is_channel": not channel.is_private,
            "is_group": False,
            "is_private": channel.is_private,
            "is_archived": False,
            "is_member": channel.is_member,
        },
    }


def _users_info(w: Workspace, p: dict[str, Any]) -> dict[str, Any]:
    user_id = str(p.get("user") or "")
    person = w.people.get(user_id)
    if person is None:
        return {"ok": False, "error": "user_not_found"}
    profile = {"real_name": person.name, "display_name": person.name, "team": w.team_id}
    return {
        "ok": True,
        "user": {
            "id": user_id,
            "team_id": w.team_id,
            "name": person.name,
            "real_name": person.name,
            "profile": profile,
            "deleted": person.deleted,
            "is_bot": person.is_bot,
            "is_app_user": False,
            "is_admin": False,
            "is_owner": False,
            "is_restricted": person.is_restricted,
            "is_ultra_restricted": person.is_ultra_restricted,
            "updated": 1700000000,
        },
    }


_ANSWERS: dict[str, Callable[[Workspace, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "chat.postEphemeral": _post_ephemeral,
    "views.open": lambda w, p: _view(w, p, needs_trigger=True),
    "views.push": lambda w, p: _view(w, p, needs_trigger=True),
    "views.update": lambda w, p: _view(w, p, needs_trigger=False),
    "views.publish": _publish,
    "conversations.open": _conversations_open,
    "usergroups.users.list": _usergroup_users,
    "conversations.info": _conversations_info,
    "users.info": _users_info,
}

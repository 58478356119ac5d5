"""app_manifest.yml asks for exactly the bot scopes the code's Web API calls need."""

from __future__ import annotations

import re
from pathlib import Path

from bot.manifest import BOT_EVENTS, BOT_SCOPES

MANIFEST = Path(__file__).resolve().parents[3] / "app_manifest.yml"
SOURCES = Path(__file__).resolve().parents[3] / "bot"

# Web API method -> the bot scopes it needs (api.slack.com/scopes; views.* need none;
# conversations.info needs channels:read for public channels, groups:read for private).
SCOPE_OF: dict[str, tuple[str, ...]] = {
    "chat_postMessage": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "conversations_open": ("im:write",),
    "conversations_info": ("channels:read", "groups:read"),
    "usergroups_users_list": ("usergroups:read",),
    "users_info": ("users:read",),
    "views_open": (),
    "views_update": (),
    "views_push": (),
    "views_publish": (),
}


def bot_scopes(text: str) -> set[str]:
    block = text.split("    bot:\n", 1)[1]
    return set(re.findall(r"^      - ([a-z:.]+)$", block.split("settings:", 1)[0], re.M))


def test_scopes_are_exactly_what_the_code_calls() -> None:
    text = MANIFEST.read_text()
    code = "\n".join(p.read_text() for p in SOURCES.rglob("*.py") if "standin" not in p.name)
    called = {m for m in SCOPE_OF if re.search(rf"\.{m}\(", code)}
    needed = {scope for m in called for scope in SCOPE_OF[m]} | {"commands"}
    assert bot_scopes(text) == needed
    assert "users:read" in needed  # users.info tells guests and bots from full members


def test_the_code_knows_the_manifest_scopes() -> None:
    # doctor compares granted scopes with BOT_SCOPES; the stand-in grants them.
    assert set(BOT_SCOPES) == bot_scopes(MANIFEST.read_text())
    assert len(BOT_SCOPES) == len(set(BOT_SCOPES))


def test_command_interactivity_and_mode() -> None:
    text = MANIFEST.read_text()
    assert "- command: /offboard" in text
    assert "should_escape: true" in text
    assert text.count("url: https://offboard.example.com/slack/events") == 3
    assert "socket_mode_enabled: false" in text
    assert "is_enabled: true" in text


def manifest_events(text: str) -> set[str]:
    block = text.split("    bot_events:\n", 1)[1]
    return set(re.findall(r"^      - ([a-z_]+)$", block.split("  interactivity:", 1)[0], re.M))


def test_the_manifest_subscribes_to_exactly_the_events_the_app_listens_to() -> None:
    text = MANIFEST.read_text()
    code = "\n".join(p.read_text() for p in SOURCES.rglob("*.py") if "devstack" not in str(p))
    listened = set(re.findall(r'^EVENT = "([a-z_]+)"$', code, re.M))
    assert manifest_events(text) == set(BOT_EVENTS) == listened == {"app_home_opened"}
    # The Home tab must be on, or views.publish answers not_enabled.
    assert "  app_home:\n    home_tab_enabled: true\n" in text

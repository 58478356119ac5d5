"""What ``app_manifest.yml`` asks Slack for, as the code needs it at run time.

``offboard-bot doctor`` compares a token's granted scopes with these, and the Slack
stand-in grants them by default. ``tests/bot/slack/test_manifest.py`` keeps this list
equal to the manifest's ``oauth_config.scopes.bot`` and to what the code calls, and
:data:`BOT_EVENTS` equal to its ``settings.event_subscriptions.bot_events`` and to the
events the app listens to.
"""

from __future__ import annotations

BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "im:write",
    "usergroups:read",
    "users:read",
    "channels:read",
    "groups:read",
)

BOT_EVENTS: tuple[str, ...] = ("app_home_opened",)

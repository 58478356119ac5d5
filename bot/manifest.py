"""What ``app_manifest.yml`` asks Slack for, as the code needs it at run time.

``offboard-bot doctor`` compares a token's granted scopes with these, and the Slack
stand-in grants them by default. ``tests/bot/slack/test_manifest.py`` keeps this list
equal to the manifest's ``oauth_config.scopes.bot`` and to what the code calls.
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

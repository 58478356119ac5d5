"""``app_home_opened``: publish the person's Home tab (:mod:`bot.slack.home`).

The event is acked at once; the tab is rendered and published by the lazy part. Only the
Home tab (``tab: home``) of a person of the installing team gets one; opening the
Messages tab changes nothing. Buttons on the tab are the card's (``approve`` /
``reject``), handled by :mod:`bot.slack.listeners.actions`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.deps import Deps
from bot.slack import home
from bot.slack.listeners import errors, identity

EVENT = "app_home_opened"


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def opened(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        if event.get("tab") != "home":
            return
        who = identity.Actor(str(event.get("user") or ""), str(body.get("team_id") or "") or None)
        if identity.foreign(who, context) is not None:
            return  # nobody else's tab is ours to publish
        home.publish(deps, who.user_id)

    app.event(EVENT)(ack=acknowledge, lazy=[errors.reported(deps, opened)])

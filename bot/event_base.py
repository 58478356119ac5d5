"""What every event is made of: where it is told (:class:`Surface`), the thread it
belongs to (:class:`Thread`) and the base type (:class:`Told`).

Kept apart from :mod:`bot.events` so that the member plan's events
(:mod:`bot.plan_events`) and the approval's are made of the same parts and read back by
the one :func:`bot.events.parse`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Surface(StrEnum):
    """Where an event is told: the outbox row's ``kind``."""

    CARD = "card"
    THREAD = "thread"
    DM = "dm"
    NOTICE = "notice"
    HOME = "home"  # one person's Home tab, re-published (bot.slack.home; no event)
    # A member plan's card, a reply under it, a DM to its requester (bot.plan_events).
    PLAN_CARD = "plan_card"
    PLAN_THREAD = "plan_thread"
    PLAN_DM = "plan_dm"


class Thread(BaseModel):
    """A Slack thread: the one under the card of ``card_of``, a request's id or a member
    plan's (``PL-…``, the plan card)."""

    model_config = ConfigDict(frozen=True)

    card_of: str


class Told(BaseModel):
    """An event; ``event`` names its type in the payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ON: ClassVar[tuple[Surface, ...]] = ()
    event: str = ""  # each concrete type fixes its own

    @classmethod
    def name(cls) -> str:
        """The ``event`` this type is told as (``"result"``, say)."""
        return str(cls.model_fields["event"].default)

    @property
    def where(self) -> Thread | None:
        """The thread this event is told in; None for what belongs to no thread."""
        return None

    def dump(self) -> dict[str, Any]:
        """The outbox payload: JSON-ready, read back by :func:`bot.events.parse`."""
        return self.model_dump(mode="json")

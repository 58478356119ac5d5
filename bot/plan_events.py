"""A member plan's news, as typed events (:mod:`bot.events` reads them back).

Made by :mod:`bot.plans` and written with :func:`bot.events.drafts` in the transaction
that moves the plan or its step. Each is told in the plan card's thread
(``Thread(card_of=plan_id)``), so the announcer keeps them in order with the workflow's
events about the plan's gates (which name the same thread, :mod:`bot.approvals.changes`).

    plan_card    the plan card, re-rendered from the database (the event is a hint)
    plan_thread  a reply under the plan card
    plan_dm      a direct message to the plan's requester
"""

from __future__ import annotations

from typing import ClassVar, Literal

from bot.event_base import Surface, Thread, Told
from storage.states import PlanState

_CARD, _THREAD, _DM = Surface.PLAN_CARD, Surface.PLAN_THREAD, Surface.PLAN_DM


class PlanEvent(Told):
    """News about one member plan, told under its card."""

    plan_id: str

    @property
    def where(self) -> Thread:
        return Thread(card_of=self.plan_id)


class GateOpen(PlanEvent):
    """A gate now waits for approvals (the requester hears which)."""

    @property
    def gate_name(self) -> str:
        return "gate 1"


class Proposed(GateOpen):
    """Stored with its steps and gate 1."""

    ON = (_CARD, _DM)
    event: Literal["plan_proposed"] = "plan_proposed"


class NothingProposed(PlanEvent):
    """Refused: nothing is proposed (the card says why)."""

    ON = (_CARD, _DM)
    event: Literal["plan_nothing_proposed"] = "plan_nothing_proposed"


class Moved(PlanEvent):
    """The plan moved ``to`` a state its card shows (a check under way, a step resumed)."""

    ON = (_CARD,)
    event: Literal["plan_moved"] = "plan_moved"
    to: PlanState


class GateRunning(PlanEvent):
    ON = (_CARD, _THREAD)
    event: Literal["plan_gate_running"] = "plan_gate_running"
    gate: int


class StepEvent(PlanEvent):
    """News of one step, answered in the thread with the step's own reply."""

    step_id: int


class StepTold(StepEvent):
    """A step's result (or its progress)."""

    ON = (_CARD, _THREAD)
    event: Literal["plan_step"] = "plan_step"


class StepStopped(StepEvent):
    """A step failed: the plan stops there until retried, skipped or abandoned."""

    ON = (_CARD, _THREAD, _DM)
    event: Literal["plan_step_stopped"] = "plan_step_stopped"


class StepResumed(PlanEvent):
    ON = (_THREAD,)
    event: Literal["plan_step_resumed"] = "plan_step_resumed"
    step_id: int
    skipped: bool


class Blocked(PlanEvent):
    """The fresh check does not allow the deletion: stopped before gate 2."""

    ON = (_CARD, _THREAD, _DM)
    event: Literal["plan_blocked"] = "plan_blocked"


class Gate2Opened(GateOpen):
    ON = (_CARD, _THREAD, _DM)
    event: Literal["plan_gate2"] = "plan_gate2"
    request_id: str

    @property
    def gate_name(self) -> str:
        return "gate 2"


class RollbackOpened(GateOpen):
    """The rollback gate; ``kept`` is what no API undoes."""

    ON = (_CARD, _THREAD, _DM)
    event: Literal["plan_rollback_opened"] = "plan_rollback_opened"
    kept: tuple[str, ...] = ()

    @property
    def gate_name(self) -> str:
        return "the rollback"


class Ending(PlanEvent):
    """The plan reached a final state; the DM says which (read from the database)."""

    ON: ClassVar[tuple[Surface, ...]] = (_CARD, _THREAD, _DM)


class Succeeded(Ending):
    event: Literal["plan_succeeded"] = "plan_succeeded"


class RolledBack(Ending):
    event: Literal["plan_rolled_back"] = "plan_rolled_back"


class Abandoned(Ending):
    event: Literal["plan_abandoned"] = "plan_abandoned"


class UnrecognisedPlanEvent(PlanEvent):
    """A plan event this version cannot read: its card is re-rendered, its name told."""


class Ended(Ending):
    """A gate rejected, expired or refused at the door: the gate's own reply said why."""

    ON = (_CARD, _DM)
    event: Literal["plan_ended"] = "plan_ended"

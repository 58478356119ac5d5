"""bot.events: every event survives the outbox as itself, and old payloads still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot import events
from bot import plan_events as plan
from bot.events import Surface, Thread, Told, drafts, parse, thread_of
from storage.records import RequestRecord
from storage.states import Phase, PlanState, Status, Vote

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
COUNTED = {"actor": "U1", "vote": Vote.APPROVE, "approvals": ("U1",), "required": 2}

EXAMPLES: list[Told] = [
    events.Submitted(request_id="OB-1", actor="U0"),
    events.Decided(request_id="OB-1", **COUNTED),
    events.Approved(request_id="OB-1", **COUNTED, execute_by=AT),
    events.Rejected(request_id="OB-1", **{**COUNTED, "vote": Vote.REJECT}),
    events.Cancelled(request_id="OB-1", actor="U0"),
    events.Expired(request_id="OB-1", was=Status.APPROVED, why="not started in time"),
    events.Executing(request_id="OB-1"),
    events.Progress(request_id="OB-1", phase=Phase.FOLLOWING, status="Deleting"),
    events.Result(request_id="OB-1", status=Status.FAILED),
    events.Reconciled(request_id="OB-1", status=Status.UNKNOWN),
    events.Correction(request_id="OB-1", status=Status.SUCCEEDED),
    events.Tampered(request_id="OB-1", was=Status.APPROVED, why="1 of 2"),
    events.Enrolled(user="U2", by="ops"),
    events.Reset(user="U2", by="ops"),
    events.KeyRotated(by="ops", count=3),
    events.RecoveryUsed(user="U2", request_id="OB-1", left=7),
    events.LockedOut(user="U2", until=AT),
    plan.Proposed(plan_id="PL-1"),
    plan.NothingProposed(plan_id="PL-1"),
    plan.Moved(plan_id="PL-1", to=PlanState.CHECKING),
    plan.GateRunning(plan_id="PL-1", gate=1),
    plan.StepTold(plan_id="PL-1", step_id=3),
    plan.StepStopped(plan_id="PL-1", step_id=3),
    plan.StepResumed(plan_id="PL-1", step_id=3, skipped=True),
    plan.Blocked(plan_id="PL-1"),
    plan.Gate2Opened(plan_id="PL-1", request_id="OB-2"),
    plan.RollbackOpened(plan_id="PL-1", kept=("the finance relation",)),
    plan.Succeeded(plan_id="PL-1"),
    plan.RolledBack(plan_id="PL-1"),
    plan.Abandoned(plan_id="PL-1"),
    plan.Ended(plan_id="PL-1"),
]


def concrete(kind: type[Told]) -> list[type[Told]]:
    found = []
    for sub in kind.__subclasses__():
        if sub.name() and not sub.__name__.startswith("Unrecognised"):
            found.append(sub)
        found.extend(concrete(sub))
    return found


def test_every_event_type_has_an_example_and_a_name_of_its_own() -> None:
    # A new event type without an example here (or without a place in the parser,
    # checked next) fails: the outbox must be able to carry it.
    names = [kind.name() for kind in concrete(Told)]
    assert sorted(names) == sorted(e.event for e in EXAMPLES)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.event)
def test_each_event_comes_back_from_the_outbox_as_itself(event: Told) -> None:
    written = drafts(event)
    assert [d.kind for d in written] == [str(on) for on in event.ON] and written
    for draft in written:
        payload = json.loads(json.dumps(draft.payload))  # as the JSON column keeps it
        assert parse(payload, getattr(event, "request_id", None)) == _with_thread(event)


def test_a_request_event_names_its_thread_the_request_s_own_card_unless_told() -> None:
    own = events.Cancelled(request_id="OB-2")
    assert drafts(own)[0].payload["thread"] == {"card_of": "OB-2"}
    gate = events.Cancelled(request_id="OB-2", thread=Thread(card_of="OB-1"))
    assert drafts(gate)[1].payload["thread"] == {"card_of": "OB-1"}
    assert gate.where == Thread(card_of="OB-1")


def test_payloads_written_before_typed_events_still_read() -> None:
    # Exactly what the previous version wrote for a result and an approval.
    result = {
        "request_id": "OB-3",
        "event": "result",
        "actor": None,
        "status": "SUCCEEDED",
        "operation": "DeleteAccount",
        "http_status": 200,
        "code": None,
        "message": None,
        "cloud_request_id": "RID",
        "recommend": None,
    }
    read = parse(result, "OB-3")
    assert read == events.Result(request_id="OB-3", status=Status.SUCCEEDED)
    assert isinstance(read, events.Result) and read.where == Thread(card_of="OB-3")
    approved = {
        "request_id": "OB-3",
        "event": "approved",
        "actor": "U9",
        "vote": "approve",
        "approvals": ["U8", "U9"],
        "rejections": [],
        "required": 2,
        "execute_by": "2026-11-23T09:15:00+00:00",
    }
    read = parse(approved, "OB-3")
    assert isinstance(read, events.Approved) and read.approvals == ("U8", "U9")
    locked = parse({"event": "locked_out", "user": "U2", "until": AT.isoformat()}, None)
    assert locked == events.LockedOut(user="U2", until=AT)


def test_what_cannot_be_read_is_unrecognised_never_an_error() -> None:
    assert parse({"event": "plan_opened", "x": 1}, "OB-4") == events.Unrecognised(
        event="plan_opened", request_id="OB-4"
    )
    assert parse({"event": "decided", "vote": "maybe"}, None) == events.UnrecognisedNotice(
        event="decided"
    )
    assert parse({}, "OB-4").event == ""
    # A member plan's news this version cannot read is still the plan's (its card, its thread).
    unknown = parse({"event": "plan_paused", "plan_id": "PL-1"}, None)
    assert unknown == plan.UnrecognisedPlanEvent(event="plan_paused", plan_id="PL-1")
    assert unknown.where == Thread(card_of="PL-1")


def test_surfaces_are_the_outbox_kinds_the_announcer_knows() -> None:
    plans = {"plan_card", "plan_thread", "plan_dm"}
    assert {str(s) for s in Surface} == {"card", "thread", "dm", "notice", "home", *plans}


def test_a_plan_s_events_and_its_gates_are_told_in_the_plan_card_s_thread() -> None:
    assert plan.StepTold(plan_id="PL-1", step_id=3).where == Thread(card_of="PL-1")
    assert {d.kind for d in drafts(plan.Blocked(plan_id="PL-1"))} == {
        Surface.PLAN_CARD,
        Surface.PLAN_THREAD,
        Surface.PLAN_DM,
    }
    gate = _record(plan_id="PL-1", gate=2)
    assert thread_of(gate) == Thread(card_of="PL-1")
    assert thread_of(_record(plan_id=None, gate=None)) is None


def _record(*, plan_id: str | None, gate: int | None) -> RequestRecord:
    fields = {name: None for name in RequestRecord.__dataclass_fields__}
    return RequestRecord(**{**fields, "id": "OB-2", "plan_id": plan_id, "gate": gate})


def _with_thread(event: Told) -> Told:
    if isinstance(event, events.RequestEvent):
        return event.model_copy(update={"thread": event.where})
    return event

"""The plan card as Block Kit: every value escaped, at most 50 blocks, the gate's buttons
kept however long the plan."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.slack.plan_rendering import GateModel, PlanModel
from bot.slack.views.plan_card import build_plan_card
from storage.plan_records import PlanRecord, StepRecord
from storage.records import ExecutionResult
from storage.states import PlanState, Status, StepState

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def plan(reason: str = "the project closed") -> PlanRecord:
    return PlanRecord(
        "PL-TEST0001",
        "1734100000000001",
        "U0ALICE",
        None,
        reason,
        PlanState.GATE1,
        "C0APPROVALS",
        "1.000001",
        None,
        {"member_name": "<!channel>", "blockers": []},
        None,
        NOW,
        NOW,
        1,
    )


def step(number: int) -> StepRecord:
    data = {"clears": "access <@U0EVIL>", "irreversible": "", "after": [], "rollback": []}
    return StepRecord(
        number,
        "PL-TEST0001",
        "OB-GATE0001",
        number,
        f"detach:{number}",
        "DetachHostAccountsFromUser",
        data,
        {"UserId": "<!here>"},
        StepState.PLANNED,
        0,
        None,
        None,
        None,
        None,
        ExecutionResult(),
        None,
        None,
        None,
    )


def model(steps: int, reason: str = "the project closed") -> PlanModel:
    gate = GateModel(1, "OB-GATE0001", Status.PENDING, (), (), 2, "", "0000 1111 2222 3333")
    return PlanModel(plan(reason), (gate,), tuple(step(n) for n in range(1, steps + 1)))


def test_every_value_from_people_or_the_cloud_is_escaped() -> None:
    blocks, _text = build_plan_card(model(2, reason="<!channel> now"))
    shown = str(blocks)
    for hostile in ("<!channel>", "<@U0EVIL>", "<!here>"):
        assert hostile not in shown
    assert "&lt;!channel&gt;" in shown and "Digest `0000 1111 2222 3333`" in shown


def test_a_long_plan_keeps_its_buttons_within_fifty_blocks() -> None:
    blocks, _text = build_plan_card(model(80))
    assert len(blocks) == 50
    assert blocks[-1]["type"] == "actions"
    assert [e["value"] for e in blocks[-1]["elements"]] == ["OB-GATE0001", "OB-GATE0001"]

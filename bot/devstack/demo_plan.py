"""The demo's last act: a member offboarded as one plan (issue 10).

alice types ``/offboard member AccountId=1734100000000001`` and names the leaver's two
bastion-host users; the bot discovers what the member still holds and posts the plan
card (every call as signed, what it clears, which can be undone); bob and carol approve
gate 1 with their codes; the reversible steps run, each answered in the thread; a
fresh check opens gate 2; they approve it, and DeleteAccount is followed to Success.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, REQUESTER
from bot.devstack.transcript import boxed, render, reply
from commands.sandbox.seed import DEMO_INSTANCE_ID
from commands.sandbox.seed_plan import LEAVER_MEMBER, LEAVER_SHANGHAI_USER, LEAVER_USER
from storage.plan_records import PlanRecord
from storage.states import PlanState

if TYPE_CHECKING:
    from bot.devstack.demo import Demo

USERS = (
    f"cn-hangzhou {DEMO_INSTANCE_ID} {LEAVER_USER}\n"
    f"cn-shanghai bastionhost-cn-sh9000aw0002 {LEAVER_SHANGHAI_USER}"
)
REASON = "leaver-project is closed; its owner left the company (HR-4790)"


def _plan(demo: Demo) -> PlanRecord | None:
    plans = [p for p in demo.repo.plans_in(list(PlanState)) if p.account_id == LEAVER_MEMBER]
    return plans[-1] if plans else None


def _until(demo: Demo, *states: PlanState) -> PlanRecord:
    from bot.devstack.demo import _wait

    def reached() -> PlanRecord | None:
        plan = _plan(demo)
        return plan if plan is not None and plan.state in states else None

    return _wait(f"the plan to reach {states}", reached, timeout=60)


def _show(demo: Demo, plan: PlanRecord, title: str, names: dict[str, str]) -> None:
    demo.stack.deps.announcer_bell.ring()
    ts = str(demo.repo.get_plan(plan.id).card_ts)  # type: ignore[union-attr]
    card = next(m for m in demo.stack.standin.messages(APPROVAL_CHANNEL) if m.ts == ts)
    demo.out(boxed(f"#offboard-approvals · {title}", render(card.blocks, card.text, names)))


def play_plan(demo: Demo, names: dict[str, str]) -> PlanState:
    """The act of the module docstring; returns the plan's final state."""
    from bot.devstack.demo import _wait

    stack, standin = demo.stack, demo.stack.standin
    text = f"member AccountId={LEAVER_MEMBER}"
    opened = len(standin.calls("views.open"))
    demo.say(REQUESTER, f"/offboard {text}")
    demo._ok(stack.signer.slash_command(REQUESTER, text))
    view = standin.wait_for_calls("views.open", opened + 1)[opened].params["view"]
    demo.say(
        REQUESTER,
        f"names the bastion-host users:\n      {USERS.replace(chr(10), chr(10) + '      ')}",
    )
    view = {**view, "id": f"V0DEMOPLAN{opened}"}
    filled = {"BastionhostUsers": USERS, "reason": REASON}
    demo._ok(stack.signer.submit(REQUESTER, view, filled))
    demo.out("  (the modal closes; the bot reads what the member still holds, concurrently)")

    def posted() -> PlanRecord | None:
        plan = _plan(demo)
        return plan if plan is not None and plan.card_ts else None

    plan = _wait("the plan card", posted, timeout=60)
    demo._settle()
    _show(demo, plan, f"plan card {plan.id}", names)
    for number, waiting in ((1, PlanState.GATE1), (2, PlanState.GATE2)):
        plan = _until(demo, waiting)
        gate = [g for g in demo.repo.gates_of(plan.id) if g.gate == number][-1]
        for approver in APPROVERS:
            demo.click(approver, "approve", gate)
        plan = _until(
            demo,
            *([PlanState.GATE2] if number == 1 else []),
            PlanState.SUCCEEDED,
            PlanState.STOPPED,
            PlanState.BLOCKED,
            PlanState.FAILED,
            PlanState.ENDED,
        )
        if plan.state is not PlanState.GATE2:
            break
    demo._settle()
    demo.out(f"  thread under plan {plan.id}:")
    for message in standin.thread(APPROVAL_CHANNEL, str(plan.card_ts)):
        demo.out(reply("offboard", render(message.blocks, message.text, names)))
    _show(demo, plan, f"plan card {plan.id} now", names)
    for message in demo._dms()[-1:]:
        demo.out(reply("DM to alice", render(message.blocks, message.text, names), "  "))
    return plan.state

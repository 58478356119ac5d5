"""Two replicas of the bot on one PostgreSQL, each with its own plan runner: a plan filed
through one, its gates approved through both, every step still reaches the cloud once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, REQUESTER, local_stack
from commands.sandbox.seed_plan import LEAVER_MEMBER
from storage.states import PlanState, StepState
from tests.bot.plans.playing import gate, propose, sent_once, wait_state, writes
from tests.bot.slack.test_step_up_replicas import empty, second_replica
from tests.commands.member_plan.running import LEAVER_USERS_TEXT
from tests.support.clock import FakeClock
from tests.support.slack import Slack


@pytest.mark.postgres
@pytest.mark.slow
def test_two_replicas_carry_out_one_plan_each_step_once(
    postgres_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    empty(postgres_url)
    with (
        local_stack(
            tmp_path, clock=clock, worker_poll=0.1, database_url=postgres_url, step_up="off"
        ) as stack,
        second_replica(stack, clock) as other,
    ):
        slack = Slack(stack, clock)
        plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
        for number, waiting_for in ((1, PlanState.GATE2), (2, PlanState.SUCCEEDED)):
            current = gate(slack, plan, number)
            slack.click(APPROVERS[0], "approve", current)  # through the first replica
            response = other.click(  # and through the second
                APPROVERS[1],
                "approve",
                current.id,
                channel=APPROVAL_CHANNEL,
                message_ts=str(current.card_ts),
            )
            assert response.status_code == 200
            plan = wait_state(slack, plan, waiting_for, PlanState.STOPPED, PlanState.FAILED)
            assert plan.state is waiting_for
        sent = writes(slack)
        steps = [s for g in slack.repo.gates_of(plan.id) for s in slack.repo.steps_of(g.id)]
        assert sent_once(sent) and len(sent) == len(steps)
        assert all(s.attempt == 1 and s.state is StepState.DONE for s in steps)

"""Plan runners as processes (``python -m bot.plans.process``): one killed while a step's
answer is on its way, and two racing on one database (SQLite and PostgreSQL). Every step
reaches the cloud at most once; a step sent by a runner that died is settled by a read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Workflow
from bot.plans.filing import PlanAsk, file_plan
from bot.plans.phases import current_gate
from bot.plans.runner import PlanRunner
from commands.catalog import get_spec
from commands.client import CloudClient
from commands.member_plan import CheckPoll
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from commands.sandbox.seed_plan import LEAVER_MEMBER
from storage.plan_records import PlanRecord
from storage.repository import Repository
from storage.states import PlanState, StepState, Vote
from tests.bot.plans.playing import sent_once
from tests.commands.member_plan.running import LEAVER_USERS

pytestmark = pytest.mark.slow

APPROVERS = ("UA", "UB", "UC")
FAST = CheckPoll(interval=0.1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def rules() -> ApprovalRules:
    return ApprovalRules(directory=ApproverDirectory(set(APPROVERS), clock=utcnow))


@pytest.fixture
def repo(db_engine: Engine) -> Repository:
    return Repository(db_engine)  # real time and the database's lease clock, as the processes


def file_leaver(repo: Repository, cloud: CloudClient) -> PlanRecord:
    ask = PlanAsk(LEAVER_MEMBER, LEAVER_USERS, "UREQ", "the project closed; its owner left")
    plan = file_plan(repo, cloud, rules(), ask, clock=utcnow, poll=FAST)
    assert plan.state is PlanState.GATE1
    return plan


def approve(repo: Repository, plan: PlanRecord, number: int) -> None:
    gate = current_gate(repo, plan.id, number)
    assert gate is not None
    for user in ("UA", "UB"):
        Workflow(repo, rules()).decide(gate.id, user, Vote.APPROVE, utcnow())


def writes(sandbox: Sandbox) -> list[object]:
    return [c for c in sandbox.calls if get_spec(c.action).op_class.changes_cloud]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def state(repo: Repository, plan: PlanRecord) -> PlanState:
    fresh = repo.get_plan(plan.id)
    assert fresh is not None
    return fresh.state


@contextmanager
def runners(
    db_url: str, sandbox: Sandbox, count: int, *extra: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "OFFBOARD_APPROVERS": ",".join(APPROVERS),
        "OFFBOARD_STEP_UP": "off",  # the approvals here are Slack-account clicks
    }
    command = [sys.executable, "-m", "bot.plans.process", "--database-url", db_url]
    command += ["--endpoint", sandbox.base_url, "--poll-seconds", "0.1", "--check-interval", "0.1"]
    processes = [
        subprocess.Popen(
            [*command, "--owner", f"r{n}", *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.timeout(180)
def test_two_runners_carry_a_plan_out_each_step_once(
    db_url: str, repo: Repository, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    plan = file_leaver(repo, cloud_client)
    with runners(db_url, sandbox, 2):
        approve(repo, plan, 1)
        wait_for(lambda: state(repo, plan) is PlanState.GATE2, 60, "gate 2")
        approve(repo, plan, 2)
        wait_for(lambda: state(repo, plan).is_final, 60, "the end of the plan")
    assert state(repo, plan) is PlanState.SUCCEEDED
    sent = writes(sandbox)
    assert sent_once(sent)  # type: ignore[arg-type]
    steps = [s for g in repo.gates_of(plan.id) for s in repo.steps_of(g.id)]
    assert len(sent) == len(steps) == 7
    assert all(s.attempt == 1 and s.state is StepState.DONE for s in steps)


@pytest.mark.timeout(180)
def test_a_runner_killed_mid_step_is_reconciled_without_a_second_call(
    db_url: str, repo: Repository, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    plan = file_leaver(repo, cloud_client)
    approve(repo, plan, 1)
    sandbox.delay("RelieveAccountRelation", 5.0)  # it takes effect; its answer is late
    gate = current_gate(repo, plan.id, 1)
    assert gate is not None

    def only_the_relieve_in_flight() -> bool:
        # The first wave's other steps are answered; the relieve reached the cloud and
        # waits for its answer (a step marked sent whose request had not left when the
        # runner died would rightly end UNKNOWN, never re-sent: not this test's subject).
        steps = repo.steps_of(gate.id)
        done = [s for s in steps if s.state is StepState.DONE]
        return sandbox.count("RelieveAccountRelation") == 1 and len(done) == len(steps) - 2

    with runners(db_url, sandbox, 1, "--lease-seconds", "2") as [process]:
        wait_for(only_the_relieve_in_flight, 30, "the relieve in flight")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    [relieve] = [s for s in repo.steps_of(gate.id) if s.action == "RelieveAccountRelation"]
    assert relieve.sent_at is not None and relieve.state is StepState.RUNNING

    restarted = PlanRunner(
        repo,
        cloud_client,
        owner="restarted",
        clock=utcnow,
        rules=rules(),
        lease_seconds=2,
        poll=FAST,
    )

    def reached(*states: PlanState) -> Callable[[], bool]:
        def check() -> bool:
            restarted.run_once()
            return state(repo, plan) in states

        return check

    wait_for(reached(PlanState.GATE2, PlanState.STOPPED), 60, "the plan to go on")
    assert state(repo, plan) is PlanState.GATE2
    assert sandbox.count("RelieveAccountRelation") == 1  # never sent twice
    settled = repo.get_step(relieve.id)
    assert settled is not None and settled.state is StepState.DONE and settled.attempt == 1
    kinds = [e.kind for e in repo.audit_trail(gate.id)]
    assert "plan.step_taken_over" in kinds
    approve(repo, plan, 2)
    wait_for(reached(PlanState.SUCCEEDED, PlanState.FAILED), 60, "the deletion")
    assert state(repo, plan) is PlanState.SUCCEEDED
    assert sent_once(writes(sandbox))  # type: ignore[arg-type]
    assert sandbox.count("DeleteAccount") == 1


@pytest.mark.timeout(120)
def test_a_step_marked_sent_that_never_left_ends_unknown_and_is_not_sent(
    repo: Repository, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    """A runner died between the sent mark and the request: the mark says "maybe sent",
    so the step is settled by a read (not in place: UNKNOWN) and never sent again."""
    plan = file_leaver(repo, cloud_client)
    approve(repo, plan, 1)
    gate = current_gate(repo, plan.id, 1)
    assert gate is not None
    # A runner "dead" claims the gate and the step and marks it sent, then dies before
    # its request leaves (played here by the repository calls it would have made).
    for gate_id in repo.approved_gates(utcnow()):
        assert repo.claim_gate(gate_id, now=utcnow(), admit=lambda _r, _d: None)
    [relieve] = [s for s in repo.steps_of(gate.id) if s.action == "RelieveAccountRelation"]
    claimed = repo.claim_step(relieve.id, owner="dead", lease_seconds=0.5, now=utcnow())
    assert claimed is not None
    assert repo.mark_step_sent(claimed, owner="dead", now=utcnow(), admit=lambda _r, _d: None)
    assert not repo.mark_step_sent(claimed, owner="dead", now=utcnow(), admit=lambda _r, _d: None)
    time.sleep(0.6)
    restarted = PlanRunner(
        repo, cloud_client, owner="restarted", clock=utcnow, rules=rules(), poll=FAST
    )

    def stopped() -> bool:
        restarted.run_once()
        return state(repo, plan) is PlanState.STOPPED

    wait_for(stopped, 60, "the plan to stop at the unknown step")
    settled = repo.get_step(relieve.id)
    assert settled is not None and settled.state is StepState.UNKNOWN
    assert sandbox.count("RelieveAccountRelation") == 0  # never sent by anyone

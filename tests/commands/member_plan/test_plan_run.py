"""A whole member plan played against the sandbox with the injected clock: discovered,
proposed, its reversible phase sent wave by wave and verified, a fresh check, gate 2's
DeleteAccount followed to Success. Then the same plan again (already done), a rollback,
and the members that stop before gate 2 or fail it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from commands.client import CloudClient
from commands.errors import CloudError, ParameterError
from commands.member_plan import (
    BastionUser,
    CheckPoll,
    CloudReader,
    Proposal,
    choose,
    discover,
    propose,
    recheck,
    settle,
    verify,
)
from commands.responses import CallResult
from commands.sandbox import Sandbox
from commands.sandbox.seed import DEMO_INSTANCE_ID
from commands.sandbox.seed_plan import (
    ABANDONABLE_MEMBER,
    BLOCKED_MEMBER,
    LEAVER_MEMBER,
    LEAVER_RELATION,
    LEAVER_SERVICES,
    LEAVER_USER,
)
from tests.commands.member_plan.running import LEAVER_USERS, send
from tests.support.clock import FakeClock


def plan_for(
    client: CloudClient, clock: FakeClock, account_id: str, users: tuple[BastionUser, ...] = ()
) -> Proposal:
    found = discover(CloudReader(client), account_id, users, poll=CheckPoll(sleep=clock.advance))
    assert found.failures == ()
    return propose(found)


def run_reversible_phase(client: CloudClient, proposal: Proposal) -> None:
    reader = CloudReader(client)
    for wave in proposal.waves():
        with ThreadPoolExecutor(max_workers=len(wave)) as pool:
            answers = list(pool.map(lambda step: send(client, step), wave))
        for step, answer in zip(wave, answers, strict=True):
            if isinstance(answer, CallResult):
                settled = settle(reader, step, result=answer)
            else:
                settled = settle(reader, step, error=answer)
            assert settled.verdict == "done", (step.key, settled)
            assert verify(reader, step).verdict == "SUCCEEDED", step.key


def test_the_leaver_ends_deleted(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    box, client = timed_cloud
    reader = CloudReader(client)
    proposal = plan_for(client, clock, LEAVER_MEMBER, LEAVER_USERS)
    assert proposal.proposed and len(proposal.steps) == 6 and proposal.blockers == ()
    # Before anything is sent, no step verifies.
    assert {verify(reader, s).verdict for s in proposal.steps} == {"FAILED"}
    run_reversible_phase(client, proposal)
    world = box.world
    assert world.delegations_of(LEAVER_MEMBER) == []
    assert world.relations[LEAVER_RELATION].state != "RELATED"
    assert world.instances[DEMO_INSTANCE_ID].grants[LEAVER_USER] == {}
    fresh = recheck(reader, LEAVER_MEMBER, CheckPoll(sleep=clock.advance))
    assert (fresh.complete, fresh.allow_delete, fresh.not_allowed) == (True, True, ())
    deletion = choose(proposal, fresh, [])
    assert isinstance(send(client, deletion), CallResult)
    progress = verify(reader, deletion)
    assert (progress.verdict, progress.message) == (
        "RUNNING",
        "Status Deleting: the member is being deleted.",
    )
    clock.advance(1)
    assert verify(reader, deletion).verdict == "SUCCEEDED"
    assert world.accounts[LEAVER_MEMBER].deleted(clock())


def test_a_plan_run_twice_finds_every_step_already_done(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    _box, client = timed_cloud
    reader = CloudReader(client)
    proposal = plan_for(client, clock, LEAVER_MEMBER, LEAVER_USERS)
    run_reversible_phase(client, proposal)
    for step in proposal.steps:
        answer = send(client, step, request_id="OB-PLAN-RETRY")
        if isinstance(answer, CallResult):
            settled = settle(reader, step, result=answer)
        else:
            settled = settle(reader, step, error=answer)
        assert settled.verdict == "already_done", (step.key, settled)
    # Discovered again, nothing is left for the reversible phase.
    again = plan_for(client, clock, LEAVER_MEMBER, LEAVER_USERS)
    assert again.proposed and again.steps == ()
    deletion = again.deletion
    assert deletion is not None and isinstance(send(client, deletion), CallResult)
    clock.advance(1)
    late = send(client, deletion)
    assert (
        isinstance(late, CloudError)
        and settle(reader, deletion, error=late).verdict == "already_done"
    )


def test_the_reversible_phase_rolls_back_to_what_was_there(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    box, client = timed_cloud
    reader = CloudReader(client)
    instance = box.world.instances[DEMO_INSTANCE_ID]
    before = {host: set(accounts) for host, accounts in instance.grants[LEAVER_USER].items()}
    proposal = plan_for(client, clock, LEAVER_MEMBER, LEAVER_USERS)
    run_reversible_phase(client, proposal)
    undo = proposal.rollback([s.key for s in proposal.steps])
    assert {u.action for u in undo} == {
        "AttachHostAccountsToUser",
        "RegisterDelegatedAdministrator",
    }
    for step in undo:
        answer = send(client, step)
        assert (
            isinstance(answer, CallResult) and settle(reader, step, result=answer).verdict == "done"
        )
        assert verify(reader, step).verdict == "SUCCEEDED", step.key
    assert {h: set(a) for h, a in instance.grants[LEAVER_USER].items()} == before
    assert {d.service_principal for d in box.world.delegations_of(LEAVER_MEMBER)} == set(
        LEAVER_SERVICES
    )
    # The finance relation has no API to come back by: it stays relieved, as the plan said.
    assert box.world.relations[LEAVER_RELATION].state != "RELATED"


def test_a_blocked_member_stops_before_gate_two_naming_each_blocker(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    _box, client = timed_cloud
    proposal = plan_for(client, clock, BLOCKED_MEMBER)
    assert [b.who for b in proposal.blockers] == [
        "the member's finance owner",
        "the owner of the member's domain names",
    ]
    fresh = recheck(CloudReader(client), BLOCKED_MEMBER, CheckPoll(sleep=clock.advance))
    assert not fresh.allow_delete
    assert [i.check_id for i in fresh.not_allowed] == ["UNPAID_BILLS", "DOMAIN"]
    with pytest.raises(ParameterError):
        choose(proposal, fresh, [])


def test_abandonable_checks_are_sent_only_when_chosen(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    _box, client = timed_cloud
    reader = CloudReader(client)
    proposal = plan_for(client, clock, ABANDONABLE_MEMBER)
    assert [c.check_id for c in proposal.abandonable] == ["NON_SP_cs", "NON_SP_ecs"]
    fresh = recheck(reader, ABANDONABLE_MEMBER, CheckPoll(sleep=clock.advance))
    partial = choose(proposal, fresh, ["NON_SP_cs"])
    assert isinstance(send(client, partial), CallResult)
    clock.advance(1)
    failed = verify(reader, partial)
    assert (failed.verdict, failed.details) == (
        "FAILED",
        ("Elastic Compute Service: The member still has ECS instances.",),
    )
    both = choose(proposal, fresh, ["NON_SP_cs", "NON_SP_ecs"])
    assert isinstance(send(client, both), CallResult)
    running = verify(reader, both)
    assert running.verdict == "RUNNING" and "silence period" in running.message
    clock.advance(1)
    assert verify(reader, both).verdict == "SUCCEEDED"


def test_verify_and_recheck_report_a_failing_read_and_never_raise(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    box, client = timed_cloud
    reader = CloudReader(client)
    proposal = plan_for(client, clock, LEAVER_MEMBER)
    box.fail(
        "ListDelegatedServicesForAccount",
        status=503,
        code="ServiceUnavailable",
        message="down",
        times=9,
    )
    progress = verify(reader, proposal.step(f"deregister:{LEAVER_SERVICES[0]}"))
    assert progress.verdict == "UNKNOWN" and "ServiceUnavailable" in progress.message
    box.fail(
        "CheckAccountDelete", status=409, code="NotSupportedOperation.DeletingAccount", message="x"
    )
    fresh = recheck(reader, LEAVER_MEMBER, CheckPoll(sleep=clock.advance))
    assert (
        fresh.failure is not None and fresh.failure.code == "NotSupportedOperation.DeletingAccount"
    )
    assert fresh.failure.request_id and not fresh.allow_delete
    slow = recheck(reader, LEAVER_MEMBER, CheckPoll(attempts=2, sleep=lambda _s: None))
    assert (slow.complete, slow.allow_delete, slow.failure) == (False, False, None)

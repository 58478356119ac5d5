"""The worker in this process, on SQLite and PostgreSQL, against the sandbox cloud over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Submitted, Workflow
from bot.execution.reconcile import unknown_outcome
from bot.execution.worker import FollowPolicy, Worker
from commands.catalog import get_spec, prepare_params, validate_params
from commands.client import CloudClient
from commands.credentials import Credentials, StaticCredentialsProvider
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from storage.records import RequestRecord
from storage.repository import Repository
from storage.states import Vote
from tests.support.clock import FakeClock

CLEAN_MEMBER = "1512996702208737"
DETACH = {
    "InstanceId": "bastionhost-cn-st220aw0001",
    "RegionId": "cn-hangzhou",
    "UserId": "1",
    "Hosts": '[{"HostId":"1"}]',
}
LEASE = 30.0


def approval_rules(clock: Callable[[], datetime]) -> ApprovalRules:
    """Three approvers, two approvals for a destructive call: the policy in force."""
    return ApprovalRules(directory=ApproverDirectory({"UA", "UB", "UC"}, clock=clock))


def approved(repo: Repository, clock: FakeClock, operation: str, params: dict[str, str]) -> str:
    """A request approved by two people, the way the workflow does it."""
    workflow = Workflow(repo, approval_rules(clock))
    spec = get_spec(operation)
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, params),
        requester="UREQ",
        reason="employee left the company",
        now=clock(),
    )
    assert isinstance(outcome, Submitted)
    for user in ("UA", "UB"):
        workflow.decide(outcome.request.id, user, Vote.APPROVE, clock())
    return outcome.request.id


def make_worker(
    repo: Repository, client: CloudClient, clock: FakeClock, owner: str = "w1", **kw: object
) -> Worker:
    return Worker(
        repo,
        client,
        owner=owner,
        clock=clock,
        rules=approval_rules(clock),
        lease_seconds=LEASE,
        follow=FollowPolicy(first_delay=0.05, max_delay=0.2, max_polls=100),
        **kw,  # type: ignore[arg-type]
    )


def status(repo: Repository, request_id: str) -> RequestRecord:
    record = repo.get_request(request_id)
    assert record is not None
    return record


def events(repo: Repository, request_id: str) -> list[str]:
    return [e.kind for e in repo.audit_trail(request_id)]


@pytest.fixture
def slow_client(sandbox: Sandbox) -> Iterator[CloudClient]:
    """A client that gives up reading after half a second (to provoke OutcomeUnknown)."""
    credentials = StaticCredentialsProvider(Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET))
    client = CloudClient(credentials, endpoint_override=sandbox.base_url, timeout=0.5)
    yield client
    client.close()


def test_delete_account_runs_once_and_is_followed_to_success(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    request_id = approved(repo, clock, "DeleteAccount", {"AccountId": CLEAN_MEMBER})
    worker = make_worker(repo, cloud_client, clock)
    assert worker.run_once() == 1
    assert worker.wait_for_followers(timeout=20)
    record = status(repo, request_id)
    assert record.status == "SUCCEEDED"
    assert sandbox.count("DeleteAccount") == 1
    assert sandbox.count("GetAccountDeletionStatus") >= 1
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.sent_at is not None
    assert execution.result.request_id  # the DeleteAccount RequestId, for the thread reply
    assert execution.result.message == "The member was deleted."
    kinds = events(repo, request_id)
    assert kinds.index("execution.sending") < kinds.index("execution.result")
    assert make_worker(repo, cloud_client, clock).run_once() == 0  # nothing left to do
    assert sandbox.count("DeleteAccount") == 1


def test_an_api_error_is_stored_with_its_details_and_ends_failed(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    request_id = approved(repo, clock, "DetachHostAccountsFromUser", DETACH)
    sandbox.fail(
        "DetachHostAccountsFromUser", status=409, code="OBJECT_AlREADY_EXISTS", message="nope"
    )
    make_worker(repo, cloud_client, clock).run_once()
    assert status(repo, request_id).status == "FAILED"
    execution = repo.get_execution(request_id)
    assert execution is not None
    assert (execution.result.http_status, execution.result.code, execution.result.message) == (
        409,
        "OBJECT_AlREADY_EXISTS",
        "nope",
    )
    assert execution.result.request_id
    assert sandbox.count("DetachHostAccountsFromUser") == 1  # destructive: never retried


def test_no_answer_ends_unknown_with_what_to_check_and_is_not_resent(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, slow_client: CloudClient
) -> None:
    request_id = approved(repo, clock, "DetachHostAccountsFromUser", DETACH)
    sandbox.delay("DetachHostAccountsFromUser", 2.0)
    make_worker(repo, slow_client, clock).run_once()
    assert status(repo, request_id).status == "UNKNOWN"
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.result.message is not None
    assert "ListHostAccountsForUser" in execution.result.message
    assert sandbox.count("DetachHostAccountsFromUser") == 1


def test_a_stale_approval_expires_instead_of_running(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    request_id = approved(repo, clock, "DetachHostAccountsFromUser", DETACH)
    clock.advance(15 * 60)
    make_worker(repo, cloud_client, clock).run_once()
    assert status(repo, request_id).status == "EXPIRED"
    assert sandbox.count("DetachHostAccountsFromUser") == 0


def claim_as_dead_worker(repo: Repository, clock: FakeClock, request_id: str, *, sent: bool) -> int:
    execution = repo.claim_for_execution(request_id, owner="dead", lease_seconds=LEASE, now=clock())
    assert execution is not None
    if sent:
        assert repo.record_sent(request_id, execution.attempt, owner="dead", now=clock())
    clock.advance(LEASE + 1)  # the dead worker's lease runs out
    return execution.attempt


def test_sent_without_answer_is_reconciled_never_resent(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    detach = approved(repo, clock, "DetachHostAccountsFromUser", DETACH)
    delete = approved(repo, clock, "DeleteAccount", {"AccountId": CLEAN_MEMBER})
    claim_as_dead_worker(repo, clock, detach, sent=True)
    claim_as_dead_worker(repo, clock, delete, sent=True)
    make_worker(repo, cloud_client, clock).run_once()
    assert sandbox.count("DetachHostAccountsFromUser") == 0
    assert sandbox.count("DeleteAccount") == 0
    for request_id in (detach, delete):
        assert status(repo, request_id).status == "UNKNOWN"
        assert "execution.reconciled" in events(repo, request_id)
    execution = repo.get_execution(delete)
    assert execution is not None and execution.result.message is not None
    assert (
        "still exists" in execution.result.message
        and "GetAccountDeletionStatus" in execution.result.message
    )


def test_claimed_but_never_sent_is_sent_once_by_the_next_worker(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    request_id = approved(repo, clock, "DetachHostAccountsFromUser", DETACH)
    claim_as_dead_worker(repo, clock, request_id, sent=False)
    make_worker(repo, cloud_client, clock).run_once()
    assert status(repo, request_id).status == "SUCCEEDED"
    assert sandbox.count("DetachHostAccountsFromUser") == 1


def test_an_accepted_deletion_is_followed_after_a_restart(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    request_id = approved(repo, clock, "DeleteAccount", {"AccountId": CLEAN_MEMBER})
    attempt = claim_as_dead_worker(repo, clock, request_id, sent=True)
    spec = get_spec("DeleteAccount")
    params = prepare_params(
        spec, validate_params(spec, {"AccountId": CLEAN_MEMBER}), offboard_request_id=request_id
    )
    cloud_client.call(spec, params)  # the dead worker's call went out and was accepted
    assert repo.update_progress(
        request_id, attempt, owner="dead", phase="following", progress={}, now=clock()
    )
    worker = make_worker(repo, cloud_client, clock)
    worker.run_once()
    assert worker.wait_for_followers(timeout=20)
    assert status(repo, request_id).status == "SUCCEEDED"
    assert sandbox.count("DeleteAccount") == 1


def test_the_worker_wakes_at_once_when_the_workflow_approves(
    db_engine: Engine, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    def real_clock() -> datetime:
        return datetime.now(UTC)

    repo = Repository(db_engine)  # real time: leases by the database's clock
    stop = threading.Event()
    worker = Worker(
        repo,
        cloud_client,
        owner="w1",
        clock=real_clock,
        rules=approval_rules(real_clock),
        poll_seconds=60,
    )
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        directory = ApproverDirectory({"UA", "UB", "UC"}, clock=real_clock)
        workflow = Workflow(repo, ApprovalRules(directory=directory), on_approved=worker.wake)
        spec = get_spec("DetachHostAccountsFromUser")
        time.sleep(0.2)  # let the worker finish its first (empty) round and start waiting
        outcome = workflow.submit(
            spec=spec,
            params=validate_params(spec, DETACH),
            requester="UREQ",
            reason="contractor contract ended",
            now=real_clock(),
        )
        assert isinstance(outcome, Submitted)
        workflow.decide(outcome.request.id, "UA", Vote.APPROVE, real_clock())
        workflow.decide(outcome.request.id, "UB", Vote.APPROVE, real_clock())
        deadline = time.monotonic() + 10  # far below the 60 s poll: only a wake-up explains it
        while status(repo, outcome.request.id).status != "SUCCEEDED":
            assert time.monotonic() < deadline, status(repo, outcome.request.id).status
            time.sleep(0.02)
    finally:
        stop.set()
        worker.wake()
        thread.join(timeout=10)
    assert sandbox.count("DetachHostAccountsFromUser") == 1


@pytest.mark.parametrize(
    ("operation", "params", "check"),
    [
        ("DeleteAccount", {"AccountId": CLEAN_MEMBER}, "GetAccountDeletionStatus"),
        (
            "DeregisterDelegatedAdministrator",
            {"AccountId": CLEAN_MEMBER, "ServicePrincipal": "cloudfw.aliyuncs.com"},
            "ListDelegatedAdministrators for cloudfw.aliyuncs.com",
        ),
        ("RelieveAccountRelation", {"RelationId": "51463"}, "QueryRelationList"),
        ("ModifyAccountRelation", {"RelationId": "51463"}, "relation 51463"),
        ("DetachHostAccountsFromUser", DETACH, "ListHostAccountsForUser for user 1"),
    ],
)
def test_unknown_outcomes_say_what_to_check(
    operation: str, params: dict[str, str], check: str
) -> None:
    finding = unknown_outcome(get_spec(operation), params, "No answer came back.")
    assert finding.verdict == "UNKNOWN"
    assert check in finding.message and "not sent again" in finding.message


def test_a_long_deletion_does_not_hold_up_other_requests(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    sandbox.world.deletion_seconds = 3.0
    delete = approved(repo, clock, "DeleteAccount", {"AccountId": CLEAN_MEMBER})
    detach = approved(repo, clock, "DetachHostAccountsFromUser", DETACH)
    worker = make_worker(repo, cloud_client, clock)
    assert worker.run_once() == 2
    assert status(repo, detach).status == "SUCCEEDED"
    assert status(repo, delete).status == "EXECUTING"  # still being followed
    assert worker.wait_for_followers(timeout=20)
    assert status(repo, delete).status == "SUCCEEDED"
    progress = [e for e in repo.audit_trail(delete) if e.kind == "execution.following"]
    assert progress  # the thread heard about the deletion while it ran


def test_a_server_error_to_a_destructive_call_is_not_called_a_failure(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    # HTTP 500 does not say whether the call took effect first: UNKNOWN, never re-sent.
    request_id = approved(repo, clock, "DetachHostAccountsFromUser", DETACH)
    sandbox.fail(
        "DetachHostAccountsFromUser", status=500, code="InternalError", message="boom", times=5
    )
    make_worker(repo, cloud_client, clock).run_once()
    assert status(repo, request_id).status == "UNKNOWN"
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.result.message is not None
    assert (execution.result.http_status, execution.result.code) == (500, "InternalError")
    assert (
        "InternalError" in execution.result.message
        and "ListHostAccountsForUser" in execution.result.message
    )
    assert sandbox.count("DetachHostAccountsFromUser") == 1


def test_an_answer_whose_items_partly_failed_is_stored_partial_and_announced(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    # HTTP 200 with one host account UNEXPECTED: the spec's item_failures make it PARTIAL.
    sandbox.world.instances[DETACH["InstanceId"]].hosts["2"].unexpected = True
    hosts = '[{"HostId":"1"},{"HostId":"2","HostAccountIds":["3"]}]'
    request_id = approved(repo, clock, "DetachHostAccountsFromUser", {**DETACH, "Hosts": hosts})
    make_worker(repo, cloud_client, clock).run_once()
    assert status(repo, request_id).status == "PARTIAL"
    execution = repo.get_execution(request_id)
    assert execution is not None and execution.outcome == "PARTIAL"
    announced = [a.payload for a in repo.undelivered_announcements() if a.request_id == request_id]
    assert {"event": "result", "status": "PARTIAL"}.items() <= announced[-1].items()
    assert sandbox.count("DetachHostAccountsFromUser") == 1

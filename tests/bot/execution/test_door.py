"""Approval is re-proved at the door: a status set in the database authorises nothing.

Each attack writes to the database directly, as someone with database access but no
approvers would (an UPDATE of the status, forged decisions, a lowered count, a forged
execution row), then runs the real worker against the sandbox cloud. Nothing may reach
the sandbox; the request ends TAMPERED, audited and announced. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, update

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Done, Submitted, Workflow
from bot.devstack.local_stack import APPROVERS, REQUESTER
from bot.events import RequestEvent, parse
from bot.execution.worker import FollowPolicy, Worker
from bot.slack.thread_replies import Stored, thread_message
from commands.catalog import get_spec, validate_params
from commands.client import CloudClient
from commands.sandbox import Sandbox
from storage.models import DecisionRow, ExecutionRow, RequestRow
from storage.records import NewRequest
from storage.repository import Repository
from storage.states import Status, Vote
from tests.support.clock import FakeClock
from tests.support.slack import Slack, wait_until

MEMBER = "1512996702208737"
DELETE = "DeleteAccount"


def rules(clock: Callable[[], datetime], approvers: set[str] | None = None) -> ApprovalRules:
    directory = ApproverDirectory(approvers or {"UA", "UB", "UC"}, clock=clock)
    return ApprovalRules(directory=directory)


def submitted(
    repo: Repository, clock: FakeClock, *approvals: str, policy: ApprovalRules | None = None
) -> str:
    """A DeleteAccount request by UREQ, approved through the workflow by ``approvals``."""
    workflow = Workflow(repo, policy or rules(clock))
    spec = get_spec(DELETE)
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, {"AccountId": MEMBER}),
        requester="UREQ",
        reason="the member account was closed with the contract",
        now=clock(),
    )
    assert isinstance(outcome, Submitted)
    for user in approvals:
        workflow.decide(outcome.request.id, user, Vote.APPROVE, clock())
    return outcome.request.id


def by_hand(engine: Engine, *statements: object) -> None:
    """What someone with database access and no approvers does."""
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)  # type: ignore[call-overload]


def mark_approved(request_id: str, clock: FakeClock, **more: object) -> object:
    return (
        update(RequestRow)
        .where(RequestRow.id == request_id)
        .values(
            **{
                "status": "APPROVED",
                "approved_at": clock(),
                "execute_by": clock() + timedelta(minutes=15),
                **more,
            }
        )
    )


def decision(request_id: str, user: str, vote: str, clock: FakeClock) -> object:
    return insert(DecisionRow).values(
        request_id=request_id, user_id=user, vote=vote, created_at=clock()
    )


def run_worker(
    repo: Repository,
    client: CloudClient,
    clock: FakeClock,
    approvers: set[str] | None = None,
    policy: ApprovalRules | None = None,
) -> None:
    worker = Worker(
        repo,
        client,
        owner="w",
        clock=clock,
        rules=policy or rules(clock, approvers),
        follow=FollowPolicy(first_delay=0.05, max_delay=0.2),
    )
    worker.run_once()
    assert worker.wait_for_followers(timeout=20)


def assert_tampered(repo: Repository, request_id: str) -> dict[str, object]:
    """Ended TAMPERED, audited with what was found, announced on the card and thread."""
    record = repo.get_request(request_id)
    assert record is not None and record.status == Status.TAMPERED
    assert record.finished_at is not None
    [event] = [e for e in repo.audit_trail(request_id) if e.kind == "request.tampered"]
    assert "execution.sending" not in [e.kind for e in repo.audit_trail(request_id)]
    announced = [
        a
        for a in repo.undelivered_announcements(request_id=request_id)
        if a.payload["event"] == "tampered"
    ]
    assert sorted(a.kind for a in announced) == ["card", "thread"]
    [thread] = [a for a in announced if a.kind == "thread"]
    news = parse(thread.payload, request_id)
    assert isinstance(news, RequestEvent) and news.where.card_of == request_id
    text = thread_message(news, Stored(record, repo.get_execution(request_id)))["text"]
    assert "treated as tampered" in text and "did not make the call" in text
    return event.data


def test_a_status_set_to_approved_by_sql_is_not_executed_and_is_reported(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    forged = submitted(repo, clock)  # PENDING, nobody approved
    by_hand(db_engine, mark_approved(forged, clock))
    clock.advance(1)
    honest = submitted(repo, clock, "UA", "UB")  # queued behind the forged one
    run_worker(repo, cloud_client, clock)
    assert sandbox.count(DELETE) == 1  # the honest one, once; never the forged one
    found = assert_tampered(repo, forged)
    assert found["approvals"] == [] and found["required"] == 2 and found["was"] == "APPROVED"
    assert "0 of the 2 approvals" in str(found["why"])
    assert repo.get_execution(forged) is None  # no execution was even started
    record = repo.get_request(honest)
    assert record is not None and record.status == Status.SUCCEEDED


def test_approvals_written_by_the_requester_and_a_stranger_do_not_count(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    forged = submitted(repo, clock, "UA")  # one real approval of the two needed
    by_hand(
        db_engine,
        decision(forged, "UREQ", "approve", clock),  # the requester for themself
        decision(forged, "UMALLORY", "approve", clock),  # not an approver
        mark_approved(forged, clock),
    )
    run_worker(repo, cloud_client, clock)
    assert sandbox.count(DELETE) == 0
    found = assert_tampered(repo, forged)
    assert found["approvals"] == ["UA"]
    assert found["not_counted"] == [
        {"user": "UREQ", "why": "the requester"},
        {"user": "UMALLORY", "why": "not an approver"},
    ]


def test_a_rejection_vetoes_a_forged_approval(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    workflow = Workflow(repo, rules(clock))
    forged = submitted(repo, clock, "UA")
    rejected = workflow.decide(forged, "UB", Vote.REJECT, clock())
    assert isinstance(rejected, Done) and rejected.status is Status.REJECTED
    by_hand(db_engine, decision(forged, "UC", "approve", clock), mark_approved(forged, clock))
    run_worker(repo, cloud_client, clock)
    assert sandbox.count(DELETE) == 0
    found = assert_tampered(repo, forged)
    assert found["rejections"] == ["UB"] and found["approvals"] == ["UA"]
    assert {"user": "UC", "why": "approved other parameters than the request holds now"} in (
        found["not_counted"]  # type: ignore[operator]
    )


def test_a_required_count_lowered_in_the_database_does_not_lower_the_door(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    forged = submitted(repo, clock, "UA")
    by_hand(db_engine, mark_approved(forged, clock, required_approvals=0, destructive=False))
    run_worker(repo, cloud_client, clock)
    assert sandbox.count(DELETE) == 0
    found = assert_tampered(repo, forged)
    assert found["required"] == 2  # the policy's count for a destructive call


def test_a_forged_execution_row_taken_over_is_refused_at_the_sent_mark(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    forged = submitted(repo, clock)
    # As if a worker had claimed it and died before sending: the next one may send it.
    by_hand(
        db_engine,
        mark_approved(forged, clock, status="EXECUTING"),
        insert(ExecutionRow).values(
            request_id=forged,
            attempt=1,
            lease_owner="ghost",
            lease_expires_at=clock() - timedelta(seconds=1),
            started_at=clock(),
        ),
    )
    run_worker(repo, cloud_client, clock)
    assert sandbox.count(DELETE) == 0
    assert_tampered(repo, forged)
    execution = repo.get_execution(forged)
    assert execution is not None and execution.sent_at is None
    assert execution.finished_at is not None and execution.result.message is not None
    assert execution.result.message.startswith("Not sent")


def test_an_approver_removed_before_the_call_no_longer_counts(
    repo: Repository, clock: FakeClock, sandbox: Sandbox, cloud_client: CloudClient
) -> None:
    request_id = submitted(repo, clock, "UA", "UB")  # honestly approved...
    run_worker(repo, cloud_client, clock, approvers={"UB", "UC"})  # ...then UA was removed
    assert sandbox.count(DELETE) == 0
    found = assert_tampered(repo, request_id)
    assert found["not_counted"] == [{"user": "UA", "why": "not an approver"}]


def test_a_status_set_by_hand_is_announced_as_tampered_in_slack(bot_server: Slack) -> None:
    slack = bot_server
    request = slack.request(REQUESTER, f"{DELETE} AccountId={MEMBER}")
    slack.click(APPROVERS[0], "approve", request)  # one of the two approvals
    # The click is decided after its ack: wait for the decision, not only the outbox.
    wait_until(lambda: len(slack.repo.decisions_for(request.id)) == 1, what="the approval")
    slack.settle()
    by_hand(slack.repo.engine, mark_approved(request.id, slack.clock))
    slack.stack.deps.worker_bell.ring()
    assert slack.wait_status(request, "TAMPERED", "SUCCEEDED", "FAILED") == "TAMPERED"
    slack.settle()
    assert slack.sandbox.count(DELETE) == 0
    card = str(slack.card(request).blocks)
    assert "TAMPERED" in card and "Refused before sending" in card
    replies = [m.text for m in slack.thread(request)]
    assert any("treated as tampered" in text and "1 of the 2" in text for text in replies), replies


def test_a_write_marked_approved_with_no_approval_is_refused(
    repo: Repository,
    db_engine: Engine,
    clock: FakeClock,
    sandbox: Sandbox,
    cloud_client: CloudClient,
) -> None:
    # ADD is "not destructive", but it changes a real billing relation: a write, which
    # needs at least one approval by someone else however the request was stored.
    params = {
        "RelationOperation": "ADD",
        "RelationType": "enterprise_group",
        "ParentUserId": "1738376485192612",
        "ChildUserId": "1276001234567890",
        "PermissionCodes": "FORBID_WITHDRAW_CASH",
    }
    new = NewRequest(
        operation="ModifyAccountRelation",
        params=params,
        requester="UREQ",
        reason="finance asked for it",
        destructive=False,
        required_approvals=0,
        expires_at=clock() + timedelta(days=1),
    )
    repo.create_request(new, now=clock())
    by_hand(db_engine, mark_approved(new.id, clock))
    run_worker(repo, cloud_client, clock)
    assert sandbox.count("ModifyAccountRelation") == 0
    found = assert_tampered(repo, new.id)
    assert found["required"] == 1 and found["approvals"] == []

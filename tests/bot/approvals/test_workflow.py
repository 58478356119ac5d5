"""The workflow on a real database (SQLite and PostgreSQL through the ``repo`` fixture)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Done, Refused, Submitted, Workflow
from commands.catalog import get_spec, validate_params
from storage.audit import iter_events
from storage.repository import Repository
from storage.states import Status, Vote
from tests.support.clock import FakeClock

MEMBER = "1512996702208737"
APPROVERS = {"UALICE", "UBOB", "UCAROL", "UREQ"}


class Wakes:
    """Counts how often the workflow woke the worker."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.count += 1


def make_workflow(
    repo: Repository, clock: FakeClock, approvers: set[str] = APPROVERS, required: int = 2
) -> tuple[Workflow, Wakes]:
    rules = ApprovalRules(
        directory=ApproverDirectory(approvers, clock=clock), default_required=required
    )
    wakes = Wakes()
    return Workflow(repo, rules, on_approved=wakes), wakes


def submit(workflow: Workflow, clock: FakeClock, reason: str = "employee left the company") -> str:
    spec = get_spec("DeleteAccount")
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, {"AccountId": MEMBER}),
        requester="UREQ",
        reason=reason,
        now=clock(),
    )
    assert isinstance(outcome, Submitted)
    return outcome.request.id


def kinds(repo: Repository, request_id: str) -> list[str]:
    return [event.kind for event in repo.audit_trail(request_id)]


def test_two_approvals_approve_and_wake_the_worker(repo: Repository, clock: FakeClock) -> None:
    workflow, wakes = make_workflow(repo, clock)
    request_id = submit(workflow, clock)
    first = workflow.decide(request_id, "UALICE", Vote.APPROVE, clock())
    assert isinstance(first, Done) and first.status is Status.PENDING
    assert wakes.count == 0
    second = workflow.decide(request_id, "UBOB", Vote.APPROVE, clock())
    assert isinstance(second, Done) and second.status is Status.APPROVED
    assert wakes.count == 1
    record = repo.get_request(request_id)
    assert record is not None and record.status == "APPROVED"
    assert record.execute_by == clock() + workflow.rules.execution_window
    assert kinds(repo, request_id) == [
        "request.submitted",
        "decision.recorded",
        "decision.recorded",
        "request.approved",
    ]


def test_refusals_change_nothing_but_are_audited(repo: Repository, clock: FakeClock) -> None:
    workflow, wakes = make_workflow(repo, clock)
    request_id = submit(workflow, clock)
    own = workflow.decide(request_id, "UREQ", Vote.APPROVE, clock())
    assert isinstance(own, Refused) and own.reason == "self_review" and not own.noop
    stranger = workflow.decide(request_id, "UMALLORY", Vote.REJECT, clock())
    assert isinstance(stranger, Refused) and stranger.reason == "not_approver"
    assert workflow.decide(request_id, "UALICE", Vote.APPROVE, clock()) == Done(
        request_id, Status.PENDING, "decided", "Your approval was recorded (1 of 2 approvals)."
    )
    again = workflow.decide(request_id, "UALICE", Vote.APPROVE, clock())
    assert isinstance(again, Refused) and again.noop  # a double click is harmless
    assert [d.user_id for d in repo.decisions_for(request_id)] == ["UALICE"]
    record = repo.get_request(request_id)
    assert record is not None and record.status == "PENDING"
    assert kinds(repo, request_id).count("decision.refused") == 3
    assert wakes.count == 0


def test_one_reject_ends_it(repo: Repository, clock: FakeClock) -> None:
    workflow, _ = make_workflow(repo, clock)
    request_id = submit(workflow, clock)
    workflow.decide(request_id, "UALICE", Vote.APPROVE, clock())
    rejected = workflow.decide(request_id, "UBOB", Vote.REJECT, clock())
    assert isinstance(rejected, Done) and rejected.status is Status.REJECTED
    late = workflow.decide(request_id, "UCAROL", Vote.APPROVE, clock())
    assert isinstance(late, Refused) and "REJECTED" in late.message
    record = repo.get_request(request_id)
    assert record is not None and record.status == "REJECTED" and record.finished_at == clock()


def test_junk_reason_is_refused_and_nothing_is_stored(repo: Repository, clock: FakeClock) -> None:
    workflow, _ = make_workflow(repo, clock)
    spec = get_spec("DeleteAccount")
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, {"AccountId": MEMBER}),
        requester="UREQ",
        reason=".",
        now=clock(),
    )
    assert isinstance(outcome, Refused) and outcome.field == "reason"
    assert repo.list_requests() == []


ADD = {
    "RelationOperation": "ADD",
    "RelationType": "enterprise_group",
    "ParentUserId": "1738376485192612",
    "ChildUserId": "1276001234567890",
    "PermissionCodes": "FORBID_WITHDRAW_CASH",
}


def test_an_add_write_is_never_approved_on_submission(repo: Repository, clock: FakeClock) -> None:
    """The hole: "not destructive" was read as "needs no approval" and ran at once."""
    workflow, wakes = make_workflow(repo, clock)
    spec = get_spec("ModifyAccountRelation")
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, ADD),
        requester="UREQ",
        reason="finance asked to stop cash withdrawal",
        now=clock(),
    )
    assert isinstance(outcome, Submitted)
    record = repo.get_request(outcome.request.id)
    assert record is not None and record.status == "PENDING" and wakes.count == 0
    assert record.required_approvals == 1 and not record.destructive
    own = workflow.decide(record.id, "UREQ", Vote.APPROVE, clock())
    assert isinstance(own, Refused) and own.reason == "self_review"
    other = workflow.decide(record.id, "UBOB", Vote.APPROVE, clock())
    assert isinstance(other, Done) and other.status is Status.APPROVED and wakes.count == 1
    assert kinds(repo, record.id) == [
        "request.submitted",
        "decision.refused",
        "decision.recorded",
        "request.approved",
    ]


@pytest.mark.parametrize("reason", [".", "asdf", ""])
def test_a_write_needs_a_real_reason_too(repo: Repository, clock: FakeClock, reason: str) -> None:
    workflow, _ = make_workflow(repo, clock)
    spec = get_spec("ModifyAccountRelation")
    outcome = workflow.submit(
        spec=spec, params=validate_params(spec, ADD), requester="UREQ", reason=reason, now=clock()
    )
    assert isinstance(outcome, Refused) and outcome.field == "reason"
    assert repo.list_requests() == []


def test_a_read_never_becomes_a_request(repo: Repository, clock: FakeClock) -> None:
    workflow, wakes = make_workflow(repo, clock)
    spec = get_spec("GetAccount")
    outcome = workflow.submit(
        spec=spec,
        params=validate_params(spec, {"AccountId": MEMBER}),
        requester="UREQ",
        reason="just looking at the member account",
        now=clock(),
    )
    assert isinstance(outcome, Refused) and outcome.reason == "read_only"
    assert "offboard-bot call GetAccount" in outcome.message
    assert repo.list_requests() == [] and wakes.count == 0
    refused = [e for e in iter_events(repo.engine) if e.kind == "request.refused"]
    assert [(e.actor, e.data["reason"]) for e in refused] == [("UREQ", "read_only")]


def test_cancel_by_the_requester_only(repo: Repository, clock: FakeClock) -> None:
    workflow, _ = make_workflow(repo, clock)
    request_id = submit(workflow, clock)
    other = workflow.cancel(request_id, "UALICE", clock())
    assert isinstance(other, Refused) and other.reason == "not_requester"
    done = workflow.cancel(request_id, "UREQ", clock())
    assert isinstance(done, Done) and done.status is Status.CANCELLED
    assert isinstance(workflow.decide(request_id, "UALICE", Vote.APPROVE, clock()), Refused)


def test_unknown_request_is_refused(repo: Repository, clock: FakeClock) -> None:
    workflow, _ = make_workflow(repo, clock)
    outcome = workflow.decide("OB-NOSUCH00", "UALICE", Vote.APPROVE, clock())
    assert isinstance(outcome, Refused) and outcome.reason == "not_found"


def test_expiry_by_sweep_and_by_a_late_click(repo: Repository, clock: FakeClock) -> None:
    workflow, _ = make_workflow(repo, clock)
    swept = submit(workflow, clock)
    clicked = submit(workflow, clock)
    stale = submit(workflow, clock)
    workflow.decide(stale, "UALICE", Vote.APPROVE, clock())
    workflow.decide(stale, "UBOB", Vote.APPROVE, clock())
    clock.advance(workflow.rules.execution_window.total_seconds())
    assert workflow.sweep_expired(clock()) == [stale]  # approved, never started in time
    clock.advance(workflow.rules.request_ttl.total_seconds())
    late = workflow.decide(clicked, "UALICE", Vote.APPROVE, clock())
    assert isinstance(late, Refused) and late.reason == "expired"
    assert workflow.sweep_expired(clock()) == [swept]  # the clicked one expired already
    for request_id in (swept, clicked, stale):
        record = repo.get_request(request_id)
        assert record is not None and record.status == "EXPIRED", request_id
    assert workflow.sweep_expired(clock()) == []


@pytest.mark.timeout(120)
def test_fifty_threads_deciding_on_one_request(repo: Repository, clock: FakeClock) -> None:
    people = [f"U{n:03d}" for n in range(50)]
    workflow, wakes = make_workflow(repo, clock, approvers={*people, "UREQ"})
    request_id = submit(workflow, clock)
    barrier = threading.Barrier(50)

    def click(user: str) -> Done | Refused:
        barrier.wait(timeout=30)
        return workflow.decide(request_id, user, Vote.APPROVE, clock())

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(click, people))

    done = Counter(o.status for o in outcomes if isinstance(o, Done))
    assert done == {Status.PENDING: 1, Status.APPROVED: 1}
    refused = Counter(o.reason for o in outcomes if isinstance(o, Refused))
    assert refused == {"not_pending": 48}
    assert len(repo.decisions_for(request_id)) == 2
    assert wakes.count == 1
    assert kinds(repo, request_id).count("request.approved") == 1


@pytest.mark.timeout(120)
def test_fifty_threads_repeating_and_mixing_votes(repo: Repository, clock: FakeClock) -> None:
    # 10 people, each clicking 5 times with a mix of votes: still at most one review each,
    # exactly one transition, and the final state is what the stored reviews justify.
    people = [f"U{n:03d}" for n in range(10)]
    workflow, wakes = make_workflow(repo, clock, approvers={*people, "UREQ"}, required=3)
    request_id = submit(workflow, clock)
    clicks = [(people[i % 10], Vote.REJECT if i == 37 else Vote.APPROVE) for i in range(50)]
    barrier = threading.Barrier(50)

    def click(item: tuple[str, Vote]) -> Done | Refused:
        barrier.wait(timeout=30)
        return workflow.decide(request_id, item[0], item[1], clock())

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(click, clicks))

    decisions = repo.decisions_for(request_id)
    assert len({d.user_id for d in decisions}) == len(decisions)
    record = repo.get_request(request_id)
    assert record is not None
    transitions = [k for k in kinds(repo, request_id) if k.startswith("request.")]
    assert transitions == ["request.submitted", f"request.{record.status.lower()}"]
    if record.status == "APPROVED":
        assert len(decisions) == 3 and all(d.vote == "approve" for d in decisions)
        assert wakes.count == 1
    else:
        assert record.status == "REJECTED" and decisions[-1].vote == "reject"
        assert wakes.count == 0


PEOPLE = ["UREQ", "UALICE", "UBOB", "UCAROL", "UMALLORY"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(clicks=st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(list(Vote))), max_size=8))
def test_any_clicks_through_the_database_keep_the_rule(
    repo: Repository, clock: FakeClock, clicks: list[tuple[str, Vote]]
) -> None:
    # Each example is a fresh request in the same database: what is stored must be what
    # the rule allows, whatever order and repetition the clicks come in.
    workflow, wakes = make_workflow(repo, clock)
    request_id = submit(workflow, clock)
    for user, vote in clicks:
        workflow.decide(request_id, user, vote, clock())
    record = repo.get_request(request_id)
    assert record is not None
    decisions = repo.decisions_for(request_id)
    voters = [d.user_id for d in decisions]
    assert len(voters) == len(set(voters)) and not {"UREQ", "UMALLORY"} & set(voters)
    yes = [d for d in decisions if d.vote == "approve"]
    if record.status == "APPROVED":
        assert len(yes) >= 2 and len(yes) == len(decisions) and wakes.count == 1
    elif record.status == "REJECTED":
        assert decisions[-1].vote == "reject" and wakes.count == 0
    else:
        assert record.status == "PENDING" and len(yes) < 2 and len(yes) == len(decisions)

"""Requests, decisions and the apply() unit of work."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from storage import audit_verify
from storage.errors import ConcurrentChange, DuplicateSubmission, RequestNotFound
from storage.models import AuditEventRow, DecisionRow, OutboxRow
from storage.records import AnnouncementDraft, AuditDraft, Change, NewDecision
from storage.repository import Repository
from tests.storage.builders import (
    APPROVERS,
    MEMBER,
    REQUESTER,
    WINDOW,
    approved,
    submit,
    vote,
)
from tests.support.clock import FakeClock


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def test_create_and_read_back(repo: Repository, clock: FakeClock) -> None:
    created = submit(repo, clock(), requester_team="cloud", channel="C123")
    assert created.id.startswith("OB-") and len(created.id) == 11
    assert repo.get_request(created.id) == created
    assert created.status == "PENDING"
    assert created.params == {"AccountId": MEMBER}
    assert created.version == 1
    assert [e.kind for e in repo.audit_trail(created.id)] == ["request.created"]
    assert [a.kind for a in repo.undelivered_announcements(request_id=created.id)] == ["card"]
    assert repo.get_request("OB-NOPE") is None


def test_list_requests_filters(repo: Repository, clock: FakeClock) -> None:
    first = submit(repo, clock())
    clock.advance(1)
    second = submit(repo, clock(), requester="UOTHER")
    repo.apply(first.id, vote("UX", clock(), vote="reject"), now=clock())
    assert [r.id for r in repo.list_requests()] == [second.id, first.id]
    assert [r.id for r in repo.list_requests(statuses=["PENDING"])] == [second.id]
    assert [r.id for r in repo.list_requests(requester=REQUESTER)] == [first.id]
    assert len(repo.list_requests(limit=1)) == 1


def test_card_and_prechecks(repo: Repository, clock: FakeClock) -> None:
    request = submit(repo, clock())
    repo.set_card(request.id, "C42", "1700000000.000100")
    repo.set_prechecks(request.id, {"allowed": False, "notAllowedReason": [{"code": "X"}]})
    stored = repo.get_request(request.id)
    assert stored is not None
    assert (stored.channel, stored.card_ts) == ("C42", "1700000000.000100")
    assert stored.prechecks == {"allowed": False, "notAllowedReason": [{"code": "X"}]}
    with pytest.raises(RequestNotFound):
        repo.set_card("OB-NOPE", "C1", "1.0")


def test_apply_persists_decision_status_audit_and_outbox(
    repo: Repository, clock: FakeClock
) -> None:
    request = submit(repo, clock())
    after, change = repo.apply(request.id, vote(APPROVERS[0], clock()), now=clock())
    assert after.status == "PENDING" and change.outcome is None
    after, change = repo.apply(request.id, vote(APPROVERS[1], clock()), now=clock())
    assert change.outcome == "approved"
    assert after.status == "APPROVED"
    assert after.approved_at == clock()
    assert after.execute_by == clock() + WINDOW
    assert after.version == 3
    assert [(d.user_id, d.vote) for d in repo.decisions_for(request.id)] == [
        (APPROVERS[0], "approve"),
        (APPROVERS[1], "approve"),
    ]
    assert [e.kind for e in repo.audit_trail(request.id)] == [
        "request.created",
        "decision.approved",
        "decision.approved",
        "request.approved",
    ]
    assert [a.payload for a in repo.undelivered_announcements(request_id=request.id)] == [
        {"event": "submitted"},
        {"event": "approved"},
    ]


def test_an_empty_change_writes_nothing(repo: Repository, clock: FakeClock) -> None:
    request = submit(repo, clock())
    after, change = repo.apply(request.id, lambda r, d: Change(outcome="nothing"), now=clock())
    assert after == request
    assert change.outcome == "nothing"


def test_apply_on_a_missing_request_raises(repo: Repository, clock: FakeClock) -> None:
    with pytest.raises(RequestNotFound):
        repo.apply("OB-NOPE", vote("U1", clock()), now=clock())


def test_the_database_refuses_a_second_vote_by_one_person(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    request = submit(repo, clock())
    repo.apply(request.id, vote(APPROVERS[0], clock()), now=clock())
    with pytest.raises(IntegrityError), db_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO decisions (request_id, user_id, vote, created_at) "
                "VALUES (:id, :user, 'reject', :at)"
            ),
            {"id": request.id, "user": APPROVERS[0], "at": clock().replace(tzinfo=None)},
        )


def test_a_decide_that_repeats_a_vote_writes_nothing(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    request = submit(repo, clock())
    repo.apply(request.id, vote(APPROVERS[0], clock()), now=clock())
    calls = []

    def careless(record: object, decisions: object) -> Change:
        # Ignores the existing vote: the UNIQUE constraint is the last line of defence.
        calls.append(1)
        return Change(
            decision=NewDecision(APPROVERS[0], "approve"),
            status="APPROVED",
            audit=(AuditDraft("decision.approved", APPROVERS[0]),),
            announcements=(AnnouncementDraft("card", {}),),
        )

    before = (count(db_engine, AuditEventRow), count(db_engine, OutboxRow))
    with pytest.raises(ConcurrentChange):
        repo.apply(request.id, careless, now=clock())
    assert len(calls) > 1  # re-run on fresh state before giving up
    assert count(db_engine, DecisionRow) == 1
    stored = repo.get_request(request.id)
    assert stored is not None and stored.status == "PENDING"
    assert (count(db_engine, AuditEventRow), count(db_engine, OutboxRow)) == before


def test_a_failing_change_leaves_no_trace(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    """Decision, status, outbox and audit commit together or not at all."""
    request = submit(repo, clock())

    def unserialisable(record: object, decisions: object) -> Change:
        return Change(
            decision=NewDecision(APPROVERS[0], "approve"),
            status="APPROVED",
            announcements=(AnnouncementDraft("card", {"event": "approved"}),),
            # Audit is appended last; this fails after everything else was flushed.
            audit=(AuditDraft("decision.approved", APPROVERS[0], {"bad": object()}),),
        )

    before = (count(db_engine, AuditEventRow), count(db_engine, OutboxRow))
    with pytest.raises(TypeError):
        repo.apply(request.id, unserialisable, now=clock())
    assert repo.decisions_for(request.id) == []
    assert repo.get_request(request.id) == request
    assert (count(db_engine, AuditEventRow), count(db_engine, OutboxRow)) == before


def test_unknown_status_and_vote_are_refused(repo: Repository, clock: FakeClock) -> None:
    request = submit(repo, clock())
    with pytest.raises(ValueError, match="status"):
        repo.apply(request.id, lambda r, d: Change(status="DONE"), now=clock())
    with pytest.raises(ValueError, match="vote"):
        repo.apply(request.id, lambda r, d: Change(decision=NewDecision("U", "maybe")), now=clock())
    assert repo.get_request(request.id) == request


def test_execution_statuses_are_not_set_by_decisions(repo: Repository, clock: FakeClock) -> None:
    request = submit(repo, clock())
    for status in ("EXECUTING", "SUCCEEDED", "FAILED", "UNKNOWN"):
        with pytest.raises(ValueError, match="claim_for_execution"):
            repo.apply(request.id, lambda r, d, s=status: Change(status=s), now=clock())
    assert repo.get_request(request.id) == request
    running = approved(repo, clock())
    repo.claim_for_execution(running.id, owner="w", lease_seconds=60, now=clock())
    with pytest.raises(ValueError, match="EXECUTING -> CANCELLED"):
        repo.apply(running.id, lambda r, d: Change(status="CANCELLED"), now=clock())


def test_due_for_expiry(repo: Repository, clock: FakeClock) -> None:
    start = clock()
    waiting = submit(repo, start, expires_at=start + timedelta(hours=1))
    approved = submit(repo, start, expires_at=start + timedelta(days=1))
    for user in APPROVERS[:2]:
        repo.apply(approved.id, vote(user, start), now=start)
    assert repo.due_for_expiry(start) == []
    clock.advance(WINDOW.total_seconds())
    assert [r.id for r in repo.due_for_expiry(clock())] == [approved.id]
    clock.advance(3600)
    assert {r.id for r in repo.due_for_expiry(clock())} == {waiting.id, approved.id}


def test_append_audit_without_a_change(
    repo: Repository, db_engine: Engine, clock: FakeClock
) -> None:
    request = submit(repo, clock())
    event = repo.append_audit(
        AuditDraft("decision.refused", REQUESTER, {"why": "self-approval"}, request.id), clock()
    )
    assert event.seq == 2
    assert repo.audit_trail(request.id)[-1] == event
    assert audit_verify.verify(db_engine).ok


def test_a_replayed_submission_key_writes_nothing(repo: Repository, clock: FakeClock) -> None:
    first = submit(repo, clock(), submission_key="slack-view:T1:V1")
    events, announcements = count(repo.engine, AuditEventRow), count(repo.engine, OutboxRow)
    with pytest.raises(DuplicateSubmission) as replay:
        submit(repo, clock(), submission_key="slack-view:T1:V1")
    assert replay.value.request_id == first.id
    assert [r.id for r in repo.list_requests()] == [first.id]
    assert count(repo.engine, AuditEventRow) == events
    assert count(repo.engine, OutboxRow) == announcements
    assert repo.find_submission("slack-view:T1:V1") == first
    assert repo.find_submission("slack-view:T1:V2") is None


def test_requests_without_a_submission_key_never_collide(
    repo: Repository, clock: FakeClock
) -> None:
    submit(repo, clock())
    submit(repo, clock())
    assert len(repo.list_requests()) == 2


def test_racing_replays_file_one_request(db_engine: Engine, clock: FakeClock) -> None:
    # Separate repositories, as separate replicas would hold: the UNIQUE decides.
    repos = [Repository(db_engine) for _ in range(6)]
    barrier = threading.Barrier(len(repos))

    def file(repo: Repository) -> str:
        barrier.wait()
        try:
            return submit(repo, clock(), submission_key="slack-view:T1:VRACE").id
        except DuplicateSubmission:
            return "replay"

    with ThreadPoolExecutor(len(repos)) as pool:
        outcomes = list(pool.map(file, repos))
    assert outcomes.count("replay") == len(repos) - 1
    assert len(repos[0].list_requests()) == 1

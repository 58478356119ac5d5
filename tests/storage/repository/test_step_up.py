"""Step-up storage on SQLite and PostgreSQL: guards spent with the decision, enrolments,
recovery codes, failures and lock-outs, key rotation all or nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from threading import Barrier

import pytest
from sqlalchemy import Engine, func, select, text

from storage.errors import GuardLost
from storage.models import AuditEventRow, DecisionRow, OutboxRow
from storage.records import AuditDraft, Change, DecisionRecord, Guard, NewDecision, RequestRecord
from storage.repository import Decide, Repository
from storage.repository.step_up import (
    AlreadyEnrolled,
    Effects,
    Enrolment,
    FailureChange,
    NewEnrolment,
    NotEnrolled,
    RecoveryHash,
)
from storage.states import Assurance
from tests.storage.builders import REQUESTER, submit
from tests.support.clock import FakeClock

BOB = "U0BOB"


def enrol(repo: Repository, now: datetime, user: str = BOB, enrolment_id: str = "e1") -> Enrolment:
    codes = tuple(RecoveryHash(slot, f"{slot:02d}" * 16, f"hash{slot}") for slot in range(1, 9))
    new = NewEnrolment(user, enrolment_id, "sealed", "key1", "ops@host", codes)
    repo.enrol(
        new, Effects(audit=(AuditDraft("step_up.enrolled", "ops@host", {"user": user}),)), now=now
    )
    enrolment = repo.enrolment(user)
    assert enrolment is not None
    return enrolment


def approve_with(guard: Guard, user: str = BOB) -> Decide:
    def decide(request: RequestRecord, decisions: list[DecisionRecord]) -> Change:
        if any(d.user_id == user for d in decisions):
            return Change(outcome="repeat")
        return Change(
            decision=NewDecision(user, "approve", Assurance.SECOND_FACTOR),
            audit=(AuditDraft("decision.recorded", user),),
            guards=(guard,),
            outcome="recorded",
        )

    return decide


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_decision_keeps_its_assurance(repo: Repository, clock: FakeClock) -> None:
    enrolment = enrol(repo, clock())
    request = submit(repo, clock())
    guard = repo.spend_step(enrolment, 100, clock())
    repo.apply(request.id, approve_with(guard), now=clock())
    [decision] = repo.decisions_for(request.id)
    assert decision.assurance is Assurance.SECOND_FACTOR


def test_a_lost_guard_writes_nothing_at_all(repo: Repository, clock: FakeClock) -> None:
    enrolment = enrol(repo, clock())
    first, second = submit(repo, clock()), submit(repo, clock())
    repo.apply(first.id, approve_with(repo.spend_step(enrolment, 100, clock())), now=clock())
    before = (count(repo.engine, DecisionRow), count(repo.engine, AuditEventRow))
    before_outbox = count(repo.engine, OutboxRow)
    # The same time step on another request: the guard matches no row.
    with pytest.raises(GuardLost) as lost:
        repo.apply(second.id, approve_with(repo.spend_step(enrolment, 100, clock())), now=clock())
    assert lost.value.name == "totp_step"
    assert (count(repo.engine, DecisionRow), count(repo.engine, AuditEventRow)) == before
    assert count(repo.engine, OutboxRow) == before_outbox
    assert repo.get_request(second.id) == second  # not even the version moved
    # An older step loses too; a newer one wins.
    with pytest.raises(GuardLost):
        repo.apply(second.id, approve_with(repo.spend_step(enrolment, 99, clock())), now=clock())
    repo.apply(second.id, approve_with(repo.spend_step(enrolment, 101, clock())), now=clock())
    assert [d.user_id for d in repo.decisions_for(second.id)] == [BOB]
    assert repo.enrolment(BOB).last_step == 101  # type: ignore[union-attr]


def test_a_guard_of_a_replaced_enrolment_or_a_locked_one_loses(
    repo: Repository, clock: FakeClock
) -> None:
    old = enrol(repo, clock())
    repo.reset_enrolment(BOB, Effects(), now=clock())
    enrol(repo, clock(), enrolment_id="e2")
    request = submit(repo, clock())
    with pytest.raises(GuardLost):  # checked against the old enrolment, spent on the new
        repo.apply(request.id, approve_with(repo.spend_step(old, 5, clock())), now=clock())
    current = repo.enrolment(BOB)
    assert current is not None

    def lock(recent: list[datetime], locked: datetime | None) -> FailureChange:
        return FailureChange(locked_until=clock() + timedelta(minutes=15))

    repo.record_failure(
        BOB, "wrong_code", window=timedelta(minutes=15), on_failure=lock, now=clock()
    )
    for guard in (
        repo.spend_step(current, 5, clock()),
        repo.spend_recovery_code(current, 1, clock()),
    ):
        with pytest.raises(GuardLost):
            repo.apply(request.id, approve_with(guard), now=clock())
    assert repo.decisions_for(request.id) == []


def test_a_recovery_code_is_spent_once(repo: Repository, clock: FakeClock) -> None:
    enrolment = enrol(repo, clock())
    first, second = submit(repo, clock()), submit(repo, clock())
    repo.apply(first.id, approve_with(repo.spend_recovery_code(enrolment, 3, clock())), now=clock())
    with pytest.raises(GuardLost) as lost:
        repo.apply(
            second.id, approve_with(repo.spend_recovery_code(enrolment, 3, clock())), now=clock()
        )
    assert lost.value.name == "recovery_code"
    after = repo.enrolment(BOB)
    assert after is not None and after.recovery_left == 7
    assert next(c for c in after.recovery if c.slot == 3).used_at == clock()


def test_racing_transactions_spend_one_step_once(repo: Repository, clock: FakeClock) -> None:
    enrolment = enrol(repo, clock())
    requests = [submit(repo, clock()) for _ in range(8)]
    start = Barrier(len(requests))

    def race(request: RequestRecord) -> str:
        start.wait()
        try:
            repo.apply(
                request.id, approve_with(repo.spend_step(enrolment, 7, clock())), now=clock()
            )
        except GuardLost:
            return "lost"
        return "won"

    with ThreadPoolExecutor(len(requests)) as pool:
        outcomes = list(pool.map(race, requests))
    assert outcomes.count("won") == 1
    assert count(repo.engine, DecisionRow) == 1


def test_enrolment_is_once_until_reset(repo: Repository, clock: FakeClock) -> None:
    enrol(repo, clock())
    with pytest.raises(AlreadyEnrolled):
        enrol(repo, clock(), enrolment_id="e2")
    repo.reset_enrolment(
        BOB, Effects(audit=(AuditDraft("step_up.reset", "ops", {"user": BOB}),)), now=clock()
    )
    assert repo.enrolment(BOB) is None and repo.enrolments() == []
    with pytest.raises(NotEnrolled):
        repo.reset_enrolment(BOB, Effects(), now=clock())
    kinds = [e.kind for e in audit_events(repo)]
    assert kinds == ["step_up.enrolled", "step_up.reset"]


def audit_events(repo: Repository) -> list[AuditEventRow]:
    with repo.engine.connect() as connection:
        return list(connection.execute(select(AuditEventRow).order_by(AuditEventRow.seq)))


def test_failures_are_counted_within_the_window_and_lock(
    repo: Repository, clock: FakeClock
) -> None:
    enrol(repo, clock())
    seen: list[int] = []

    def rule(recent: list[datetime], locked: datetime | None) -> FailureChange:
        seen.append(len(recent))
        until = clock() + timedelta(minutes=15) if len(recent) >= 3 else None
        return FailureChange(locked_until=until)

    window = timedelta(minutes=15)
    repo.record_failure(BOB, "wrong_code", window=window, on_failure=rule, now=clock())
    clock.advance(16 * 60)  # the first failure leaves the window
    for _ in range(3):
        repo.record_failure(BOB, "wrong_code", window=window, on_failure=rule, now=clock())
    assert seen == [1, 1, 2, 3]
    assert repo.enrolment(BOB).locked_until == clock() + window  # type: ignore[union-attr]


def test_a_failed_key_rotation_changes_nothing(repo: Repository, clock: FakeClock) -> None:
    enrol(repo, clock(), "U0ALICE", "ea")
    enrol(repo, clock(), BOB, "eb")

    def broken(user: str, sealed: str, key_id: str) -> tuple[str, str]:
        if user == BOB:
            raise ValueError("does not open")
        return "resealed", "key2"

    with pytest.raises(ValueError):
        repo.reseal_all(broken, lambda n: Effects(), now=clock())
    assert {e.key_id for e in repo.enrolments()} == {"key1"}
    assert (
        repo.reseal_all(lambda u, s, k: ("new-" + s, "key2"), lambda n: Effects(), now=clock()) == 2
    )
    assert {(e.sealed_secret, e.key_id) for e in repo.enrolments()} == {("new-sealed", "key2")}
    assert repo.enrolled_users("key2") == {"U0ALICE", BOB} and repo.enrolled_users("key1") == set()


def test_decisions_from_before_step_up_read_back_as_slack_account_clicks(
    repo: Repository, clock: FakeClock
) -> None:
    request = submit(repo, clock())
    with repo.engine.begin() as connection:  # a row as the old schema wrote it
        connection.execute(
            text(
                "INSERT INTO decisions (request_id, user_id, vote, created_at) "
                "VALUES (:r, :u, 'approve', :t)"
            ),
            {"r": request.id, "u": REQUESTER, "t": clock().replace(tzinfo=None)},
        )
    [decision] = repo.decisions_for(request.id)
    assert decision.assurance is Assurance.SLACK_ACCOUNT

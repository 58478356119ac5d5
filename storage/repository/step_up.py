"""Approvers' second factor: enrolments, one-time recovery codes, recent failures.

Storage only keeps what ``bot`` hands it: a sealed (encrypted) TOTP secret, slow hashes
of recovery codes, failure times. Spending a proof is never a write of its own: the
``spend_*`` methods return a :class:`~storage.records.Guard` that ``Repository.apply``
runs in the transaction recording the decision, so a code is spent exactly when, and
only if, the approval it proves is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from storage.errors import AlreadyEnrolled as AlreadyEnrolled
from storage.errors import NotEnrolled as NotEnrolled
from storage.models import (
    StepUpEnrolmentRow,
    StepUpFailureRow,
    StepUpRecoveryCodeRow,
)
from storage.records import AnnouncementDraft, AuditDraft, DecisionRecord, Guard
from storage.repository.decision_seals import reseal_open_decisions
from storage.repository.transactions import Transactions, require_aware


@dataclass(frozen=True)
class RecoveryHash:
    """One recovery code as stored: its slot (printed in the code) and its slow hash."""

    slot: int
    salt: str
    digest: str
    used_at: datetime | None = None


@dataclass(frozen=True)
class Enrolment:
    """A user's enrolment as stored (the secret still sealed)."""

    user_id: str
    enrolment_id: str
    sealed_secret: str
    key_id: str
    enrolled_at: datetime
    enrolled_by: str
    last_step: int | None
    locked_until: datetime | None
    recovery: tuple[RecoveryHash, ...] = ()

    @property
    def recovery_left(self) -> int:
        return sum(1 for code in self.recovery if code.used_at is None)


@dataclass(frozen=True)
class NewEnrolment:
    user_id: str
    enrolment_id: str
    sealed_secret: str
    key_id: str
    enrolled_by: str
    recovery: tuple[RecoveryHash, ...]


@dataclass(frozen=True)
class FailureChange:
    """What a failed attempt writes besides the failure: a lock, its audit, its notices."""

    locked_until: datetime | None = None
    audit: tuple[AuditDraft, ...] = ()
    announcements: tuple[AnnouncementDraft, ...] = ()


@dataclass(frozen=True)
class Effects:
    audit: Sequence[AuditDraft] = ()
    announcements: Sequence[AnnouncementDraft] = ()


OnFailure = Callable[[list[datetime], datetime | None], FailureChange]
"""(failure times within the window, the lock in force or None) -> what to write."""

Reseal = Callable[[str, str, str], tuple[str, str]]
"""(user id, sealed secret, key id) -> (sealed secret, key id) under the new key."""


class StepUpStore(Transactions):
    """Enrolments and the one-time proofs they hold; each method is one transaction."""

    def enrol(self, new: NewEnrolment, effects: Effects, *, now: datetime) -> None:
        """Store a new enrolment with its recovery hashes; AlreadyEnrolled if one exists."""
        require_aware(now)
        with self._write() as session:
            if session.get(StepUpEnrolmentRow, new.user_id) is not None:
                raise AlreadyEnrolled(f"{new.user_id} is already enrolled")
            session.add(
                StepUpEnrolmentRow(
                    user_id=new.user_id,
                    enrolment_id=new.enrolment_id,
                    sealed_secret=new.sealed_secret,
                    key_id=new.key_id,
                    enrolled_at=now,
                    enrolled_by=new.enrolled_by,
                    last_step=None,
                    locked_until=None,
                )
            )
            session.flush()
            session.add_all(
                StepUpRecoveryCodeRow(
                    user_id=new.user_id, slot=code.slot, salt=code.salt, digest=code.digest
                )
                for code in new.recovery
            )
            session.flush()
            self._record_effects(session, None, effects.audit, effects.announcements, now)

    def reset_enrolment(self, user_id: str, effects: Effects, *, now: datetime) -> None:
        """Forget the user's secret, recovery codes and failures; NotEnrolled if none."""
        require_aware(now)
        with self._write() as session:
            if session.get(StepUpEnrolmentRow, user_id) is None:
                raise NotEnrolled(f"{user_id} is not enrolled")
            for table in (StepUpRecoveryCodeRow, StepUpFailureRow, StepUpEnrolmentRow):
                session.execute(delete(table).where(table.user_id == user_id))
            self._record_effects(session, None, effects.audit, effects.announcements, now)

    def enrolment(self, user_id: str) -> Enrolment | None:
        """The user's enrolment with its recovery hashes, or None."""
        with self._read() as session:
            row = session.get(StepUpEnrolmentRow, user_id)
            return _enrolment(session, row) if row else None

    def enrolments(self) -> list[Enrolment]:
        """Every enrolment, by user id."""
        with self._read() as session:
            rows = session.scalars(select(StepUpEnrolmentRow).order_by(StepUpEnrolmentRow.user_id))
            return [_enrolment(session, row) for row in rows]

    def enrolled_users(self, key_id: str) -> frozenset[str]:
        """Users whose secret is sealed with the key ``key_id`` (the others cannot verify)."""
        query = select(StepUpEnrolmentRow.user_id).where(StepUpEnrolmentRow.key_id == key_id)
        with self._read() as session:
            return frozenset(session.scalars(query))

    def reseal_all(
        self,
        reseal: Reseal,
        effects: Callable[[int], Effects],
        *,
        now: datetime,
        reseal_decision: Callable[[DecisionRecord], str | None] | None = None,
    ) -> int:
        """Re-encrypt every secret with ``reseal`` in one transaction; all or nothing.

        ``reseal_decision`` gives the new seal of each sealed decision on a request still
        pending or approved (None: leave it), so a key rotation does not void approvals
        already given. ``effects(count)`` gives the audit events and notices to write.
        """
        require_aware(now)
        with self._write() as session:
            rows = list(
                session.scalars(
                    select(StepUpEnrolmentRow)
                    .order_by(StepUpEnrolmentRow.user_id)
                    .with_for_update()
                )
            )
            for row in rows:
                row.sealed_secret, row.key_id = reseal(row.user_id, row.sealed_secret, row.key_id)
            if reseal_decision is not None:
                reseal_open_decisions(session, reseal_decision)
            session.flush()
            done = effects(len(rows))
            self._record_effects(session, None, done.audit, done.announcements, now)
            return len(rows)

    @staticmethod
    def spend_step(enrolment: Enrolment, step: int, now: datetime) -> Guard:
        """A guard that advances the last accepted time step to ``step``.

        It matches only while this enrolment stands, is not locked and has accepted no
        code of ``step`` or later: whichever transaction advances it first spent the code.
        """
        row = StepUpEnrolmentRow
        statement = (
            update(row)
            .where(
                row.user_id == enrolment.user_id,
                row.enrolment_id == enrolment.enrolment_id,
                or_(row.last_step.is_(None), row.last_step < step),
                or_(row.locked_until.is_(None), row.locked_until <= now),
            )
            .values(last_step=step)
        )
        return Guard("totp_step", statement)

    @staticmethod
    def spend_recovery_code(enrolment: Enrolment, slot: int, now: datetime) -> Guard:
        """A guard that marks the recovery code in ``slot`` used, once, while not locked."""
        code, owner = StepUpRecoveryCodeRow, StepUpEnrolmentRow
        standing = exists().where(
            owner.user_id == enrolment.user_id,
            owner.enrolment_id == enrolment.enrolment_id,
            or_(owner.locked_until.is_(None), owner.locked_until <= now),
        )
        statement = (
            update(code)
            .where(
                code.user_id == enrolment.user_id,
                code.slot == slot,
                code.used_at.is_(None),
                standing,
            )
            .values(used_at=now)
        )
        return Guard("recovery_code", statement)

    def record_failure(
        self,
        user_id: str,
        reason: str,
        *,
        window: timedelta,
        on_failure: OnFailure,
        now: datetime,
    ) -> FailureChange:
        """Remember a failed attempt and apply what ``on_failure`` decides; one transaction.

        ``on_failure`` gets the failures within ``window`` (this one included) and the
        lock in force, and returns the lock to set (if any) with its audit and notices.
        The enrolment row is locked first, so concurrent failures are counted in turn.
        """
        require_aware(now)
        with self._write() as session:
            owner = session.scalars(
                select(StepUpEnrolmentRow)
                .where(StepUpEnrolmentRow.user_id == user_id)
                .with_for_update()
            ).one_or_none()
            failures = StepUpFailureRow
            session.execute(
                delete(failures).where(failures.user_id == user_id, failures.at <= now - window)
            )
            session.add(StepUpFailureRow(user_id=user_id, at=now, reason=reason))
            session.flush()
            recent = list(
                session.scalars(
                    select(failures.at).where(failures.user_id == user_id).order_by(failures.at)
                )
            )
            change = on_failure(recent, owner.locked_until if owner else None)
            if owner is not None and change.locked_until is not None:
                owner.locked_until = change.locked_until
                session.flush()
            self._record_effects(session, None, change.audit, change.announcements, now)
            return change


def _enrolment(session: Session, row: StepUpEnrolmentRow) -> Enrolment:
    codes = session.scalars(
        select(StepUpRecoveryCodeRow)
        .where(StepUpRecoveryCodeRow.user_id == row.user_id)
        .order_by(StepUpRecoveryCodeRow.slot)
    )
    return Enrolment(
        user_id=row.user_id,
        enrolment_id=row.enrolment_id,
        sealed_secret=row.sealed_secret,
        key_id=row.key_id,
        enrolled_at=row.enrolled_at,
        enrolled_by=row.enrolled_by,
        last_step=row.last_step,
        locked_until=row.locked_until,
        recovery=tuple(RecoveryHash(c.slot, c.salt, c.digest, c.used_at) for c in codes),
    )

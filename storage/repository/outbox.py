"""The outbox: announcements to Slack, written with the change they announce.

The announcer claims a batch (a lease, so a crashed announcer's batch is retried by
another), delivers each, and marks it announced or failed. Delivery is at least once:
a crash between Slack's answer and ``mark_announced`` repeats one message, which is
better than losing a result.

Per request, announcements are delivered in the order they were written: a request's
later announcement is never claimed while an earlier one is undelivered and not in the
same batch (claimed by another announcer, or waiting to be retried). Claiming is
serialised (PostgreSQL: an advisory transaction lock; SQLite: the write lock) so two
announcers cannot split one request's announcements between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, text, update

from storage.models import OutboxRow
from storage.records import AnnouncementRecord
from storage.repository.transactions import Transactions, announcement_record, require_aware

OUTBOX_CLAIM_LOCK_KEY = 0x0FFB0A0B0C
# How many undelivered rows one claim looks at; a backlog larger than this is drained
# over several claims.
_SCAN = 1000
_MAX_ERROR_CHARS = 2000


class OutboxStore(Transactions):
    """The outbox half of the repository."""

    def claim_announcements(
        self, *, owner: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[AnnouncementRecord]:
        """Lease up to ``limit`` deliverable announcements to ``owner``, ordered by id.

        Deliver them in the order returned; when one fails, skip the rest of the same
        request in this batch (they are retried after it, in order).
        """
        require_aware(now)
        with self._write() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_CLAIM_LOCK_KEY}
                )
            rows = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.delivered_at.is_(None))
                .order_by(OutboxRow.id)
                .limit(_SCAN)
            ).all()
            blocked: set[str | None] = set()
            chosen: list[OutboxRow] = []
            for row in rows:
                if len(chosen) >= limit:
                    break
                claimable = row.available_at <= now and (
                    row.claimed_until is None or row.claimed_until <= now
                )
                if row.request_id in blocked or not claimable:
                    # Rows with no request have no order to keep.
                    if row.request_id is not None:
                        blocked.add(row.request_id)
                    continue
                chosen.append(row)
            until = now + timedelta(seconds=lease_seconds)
            for row in chosen:
                row.claimed_by = owner
                row.claimed_until = until
            session.flush()
            return [announcement_record(row) for row in chosen]

    def mark_announced(self, announcement_id: int, now: datetime) -> None:
        """Record that Slack accepted the announcement."""
        require_aware(now)
        with self._write() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == announcement_id, OutboxRow.delivered_at.is_(None))
                .values(delivered_at=now, claimed_until=None)
                .execution_options(synchronize_session=False)
            )

    def mark_announcement_failed(
        self, announcement_id: int, error: str, retry_at: datetime
    ) -> None:
        """Release the announcement for a retry at ``retry_at``, keeping why it failed."""
        require_aware(retry_at)
        with self._write() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == announcement_id, OutboxRow.delivered_at.is_(None))
                .values(
                    attempts=OutboxRow.attempts + 1,
                    last_error=error[:_MAX_ERROR_CHARS],
                    claimed_by=None,
                    claimed_until=None,
                    available_at=retry_at,
                )
                .execution_options(synchronize_session=False)
            )

    def queue_per_user(
        self, kind: str, users: Iterable[str], *, now: datetime, available_at: datetime
    ) -> int:
        """An announcement of ``kind`` (payload ``{"user": id}``, no request) for each of
        ``users`` that has none of that kind waiting; returns how many were queued.

        Coalescing: a waiting one (not yet claimed) is rendered from the database when it
        is delivered, so it will show this change too. One already claimed may have been
        rendered before the change: it does not count as waiting.
        """
        require_aware(now)
        with self._write() as session:
            waiting = {
                str(row.payload.get("user"))
                for row in session.scalars(
                    select(OutboxRow).where(
                        OutboxRow.kind == kind,
                        OutboxRow.delivered_at.is_(None),
                        OutboxRow.claimed_by.is_(None),
                    )
                )
            }
            fresh = sorted(set(users) - waiting)
            for user in fresh:
                session.add(
                    OutboxRow(
                        request_id=None,
                        kind=kind,
                        payload={"user": user},
                        created_at=now,
                        available_at=available_at,
                        attempts=0,
                    )
                )
            return len(fresh)

    def undelivered_announcements(
        self, *, request_id: str | None = None
    ) -> list[AnnouncementRecord]:
        """Announcements not yet delivered, oldest first (for tests and diagnostics)."""
        query = select(OutboxRow).where(OutboxRow.delivered_at.is_(None)).order_by(OutboxRow.id)
        if request_id is not None:
            query = query.where(OutboxRow.request_id == request_id)
        with self._read() as session:
            return [announcement_record(r) for r in session.scalars(query)]

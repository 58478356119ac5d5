"""The audit log as the repository reads and appends it, and the health check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from storage.audit import append_event
from storage.audit import to_record as audit_record
from storage.db import READ_ONLY
from storage.models import AuditEventRow
from storage.records import AuditDraft, AuditEventRecord
from storage.repository.transactions import Transactions, require_aware


class AuditStore(Transactions):
    """Audit events with no state change, a request's trail, and ``ping``."""

    def append_audit(self, draft: AuditDraft, now: datetime) -> AuditEventRecord:
        """Append an event that comes with no state change (a refused click, say)."""
        require_aware(now)
        with self._write() as session:
            return append_event(session, draft, now)

    def audit_trail(self, request_id: str) -> list[AuditEventRecord]:
        """The request's audit events in order."""
        query = (
            select(AuditEventRow)
            .where(AuditEventRow.request_id == request_id)
            .order_by(AuditEventRow.seq)
        )
        with self._read() as session:
            return [audit_record(r) for r in session.scalars(query)]

    def ping(self) -> bool:
        """True when the database answers (for ``GET /healthz``)."""
        try:
            # Read-only, so a health check never queues for SQLite's write lock.
            with self.engine.connect().execution_options(**READ_ONLY) as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

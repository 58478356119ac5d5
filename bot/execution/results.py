"""Storing what an execution did, together with what to announce about it.

Every write here is conditional on the worker still owning the execution, and each one
puts the audit event and the outbox drafts in the same transaction as the result, so
nothing is announced that is not stored, and nothing stored goes unannounced.
Announcement payloads: ``{"request_id", "event", "actor": None, ...}`` with event
``executing``, ``progress``, ``result`` or ``reconciled`` (see :mod:`bot.approvals.workflow`),
and ``correction`` [card, thread] for a real answer that reached this worker after another
had taken the execution over (the same facts as ``result``; see :meth:`late_answer`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from commands.catalog.quirks import Progress
from commands.client import CallResult
from storage.records import (
    AnnouncementDraft,
    AuditDraft,
    ExecutionRecord,
    ExecutionResult,
    RequestRecord,
)
from storage.repository import Admit, Repository
from storage.states import Status

log = structlog.get_logger(__name__)


class ResultWriter:
    """Writes progress and results for executions owned by ``owner``."""

    def __init__(self, repo: Repository, *, owner: str, clock: Callable[[], datetime]) -> None:
        self.repo = repo
        self.owner = owner
        self.clock = clock

    def conclude(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        finding: Progress,
        accepted: CallResult | None = None,
        *,
        event: str,
    ) -> None:
        """Finish with what the cloud says (``finding``, a final verdict) after an accepted
        or unanswered call; ``accepted`` is the call's own answer when there was one."""
        base = from_call(accepted) if accepted is not None else ExecutionResult()
        said = finding.result
        body: dict[str, Any] = {"status": said.body if said is not None else {}}
        if accepted is not None:
            body["accepted"] = accepted.body
        result = ExecutionResult(
            http_status=base.http_status,
            code=base.code,
            message=finding.message,
            cloud_request_id=base.cloud_request_id or (said.request_id if said else None),
            body=body,
        )
        assert finding.verdict != "RUNNING"
        self.finish(record, execution, finding.verdict, result, event=event)

    def finish(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        status: str,
        result: ExecutionResult,
        *,
        event: str = "result",
    ) -> None:
        """Store the result, end the request in ``status``, announce it; one transaction.

        When another worker has taken the execution over meanwhile, a real answer from
        the cloud is kept as a late answer instead (see :meth:`late_answer`).
        """
        facts = _facts(record, status, result)
        payload = {"request_id": record.id, "event": event, "actor": None, **facts}
        done = self.repo.finish_execution(
            record.id,
            execution.attempt,
            owner=self.owner,
            status=status,
            result=result,
            now=self.clock(),
            audit=(AuditDraft(f"execution.{event}", self.owner, facts, record.id),),
            announcements=tuple(
                AnnouncementDraft(kind, dict(payload)) for kind in ("card", "thread", "dm")
            ),
        )
        if done is None:
            answered = result.http_status is not None and status != Status.UNKNOWN
            if not (answered and self.late_answer(record, execution, status, result)):
                log.warning("lease_lost_before_result", request_id=record.id, status=status)
        else:
            log.info("execution_finished", request_id=record.id, status=status, code=result.code)

    def late_answer(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        status: str,
        result: ExecutionResult,
    ) -> bool:
        """Keep an answer that came after the execution was taken over, and announce it
        as a correction on the card and in the thread; audited. False when it could not
        be stored (this worker still owns it, or a late answer is already stored)."""
        facts = {**_facts(record, status, result), "from": self.owner}
        payload = {"request_id": record.id, "event": "correction", "actor": None, **facts}
        stored = self.repo.record_late_answer(
            record.id,
            execution.attempt,
            owner=self.owner,
            outcome=status,
            result=result,
            now=self.clock(),
            audit=(AuditDraft("execution.late_answer", self.owner, facts, record.id),),
            announcements=tuple(
                AnnouncementDraft(kind, dict(payload)) for kind in ("card", "thread")
            ),
        )
        if stored:
            log.warning("late_answer_stored", request_id=record.id, status=status)
        return stored

    def progress(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        phase: str,
        progress: Any,
        *,
        event: str,
        kinds: tuple[str, ...],
    ) -> bool:
        """Record a phase of the execution and announce it; False when no longer ours."""
        audit, announcements = _drafts(record, self.owner, phase, progress, event, kinds)
        return self.repo.update_progress(
            record.id,
            execution.attempt,
            owner=self.owner,
            phase=phase,
            progress=progress,
            now=self.clock(),
            audit=audit,
            announcements=announcements,
        )

    def mark_sent(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        facts: dict[str, Any],
        admit: Admit,
    ) -> bool:
        """Durably mark the call as sent (phase ``sending``, announced as ``executing``),
        one transaction, behind the door ``admit``; send it only when this returns True."""
        _, announcements = _drafts(
            record, self.owner, "sending", None, "executing", ("card", "thread")
        )
        return self.repo.record_sent(
            record.id,
            execution.attempt,
            owner=self.owner,
            now=self.clock(),
            admit=admit,
            phase="sending",
            audit=(AuditDraft("execution.sending", self.owner, facts, record.id),),
            announcements=announcements,
        )


def _facts(record: RequestRecord, status: str, result: ExecutionResult) -> dict[str, Any]:
    return {
        "status": status,
        "operation": record.operation,
        "http_status": result.http_status,
        "code": result.code,
        "message": result.message,
        "cloud_request_id": result.cloud_request_id,
        "recommend": result.recommend,
    }


def _drafts(
    record: RequestRecord,
    owner: str,
    phase: str,
    progress: Any,
    event: str,
    kinds: tuple[str, ...],
) -> tuple[tuple[AuditDraft, ...], tuple[AnnouncementDraft, ...]]:
    payload = {"request_id": record.id, "event": event, "actor": None, "phase": phase}
    if isinstance(progress, dict):
        payload.update(progress)
    audit = (AuditDraft(f"execution.{phase}", owner, payload, record.id),)
    return audit, tuple(AnnouncementDraft(kind, dict(payload)) for kind in kinds)


def from_call(result: CallResult) -> ExecutionResult:
    """The stored form of a cloud answer."""
    return ExecutionResult(
        http_status=result.http_status,
        code=result.code,
        message=result.message,
        cloud_request_id=result.request_id,
        recommend=result.recommend,
        body=result.body,
    )

"""Storing what an execution did, together with what to announce about it.

Every write here is conditional on the worker still owning the execution, and each one
puts the audit event and the outbox drafts in the same transaction as the result, so
nothing is announced that is not stored, and nothing stored goes unannounced.
The events (:mod:`bot.events`): ``Executing`` when the call is marked sent, ``Progress``
while a long-running call is followed, ``Result`` or ``Reconciled`` when it ends, and
``Correction`` for a real answer that reached this worker after another had taken the
execution over (see :meth:`ResultWriter.late_answer`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

import structlog

from bot import events
from bot.events import Ending, drafts
from commands.catalog.quirks import Progress
from commands.client import CallResult
from storage.records import (
    AuditDraft,
    ExecutionRecord,
    ExecutionResult,
    RequestRecord,
)
from storage.repository import Admit, Repository
from storage.states import Phase, Status

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
        event: type[Ending],
    ) -> None:
        """Finish with what the cloud says (``finding``, a final verdict) after an accepted
        or unanswered call; ``accepted`` is the call's own answer when there was one."""
        base = from_call(accepted) if accepted is not None else ExecutionResult()
        said = finding.result
        body: dict[str, Any] = {"status": said.body if said is not None else {}}
        if accepted is not None:
            body["accepted"] = accepted.body
        result = replace(
            base,
            message=finding.message,
            request_id=base.request_id or (said.request_id if said else None),
            recommend=None,
            body=body,
        )
        assert not finding.running
        self.finish(record, execution, Status(finding.verdict), result, event=event)

    def finish(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        status: Status,
        result: ExecutionResult,
        *,
        event: type[Ending] = events.Result,
    ) -> None:
        """Store the result, end the request in ``status``, tell it as ``event`` (a
        :class:`~bot.events.Result`, or :class:`~bot.events.Reconciled` after a restart);
        one transaction.

        When another worker has taken the execution over meanwhile, a real answer from
        the cloud is kept as a late answer instead (see :meth:`late_answer`).
        """
        facts = _facts(record, status, result)
        done = self.repo.finish_execution(
            record.id,
            execution.attempt,
            owner=self.owner,
            status=status,
            result=result,
            now=self.clock(),
            audit=(AuditDraft(f"execution.{event.name()}", self.owner, facts, record.id),),
            announcements=drafts(event(request_id=record.id, status=status)),
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
        status: Status,
        result: ExecutionResult,
    ) -> bool:
        """Keep an answer that came after the execution was taken over, and announce it
        as a correction on the card and in the thread; audited. False when it could not
        be stored (this worker still owns it, or a late answer is already stored)."""
        facts = {**_facts(record, status, result), "from": self.owner}
        stored = self.repo.record_late_answer(
            record.id,
            execution.attempt,
            owner=self.owner,
            outcome=status,
            result=result,
            now=self.clock(),
            audit=(AuditDraft("execution.late_answer", self.owner, facts, record.id),),
            announcements=drafts(events.Correction(request_id=record.id, status=status)),
        )
        if stored:
            log.warning("late_answer_stored", request_id=record.id, status=status)
        return stored

    def progress(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        phase: Phase,
        status: str,
        *,
        details: Sequence[str] = (),
        facts: Mapping[str, Any] | None = None,
    ) -> bool:
        """Record how the execution is doing (``status`` and ``details``, in the cloud's
        words, and ``facts`` worth keeping) and tell it in the thread; False when no
        longer ours."""
        progress = {"status": status, "details": list(details), **(facts or {})}
        news = events.Progress(
            request_id=record.id, phase=phase, status=status, details=tuple(details)
        )
        return self.repo.update_progress(
            record.id,
            execution.attempt,
            owner=self.owner,
            phase=phase,
            progress=progress,
            now=self.clock(),
            audit=(_phase_audit(record, self.owner, phase, progress),),
            announcements=drafts(news),
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
        return self.repo.record_sent(
            record.id,
            execution.attempt,
            owner=self.owner,
            now=self.clock(),
            admit=admit,
            phase=Phase.SENDING,
            audit=(AuditDraft("execution.sending", self.owner, facts, record.id),),
            announcements=drafts(events.Executing(request_id=record.id)),
        )


def _facts(record: RequestRecord, status: Status, result: ExecutionResult) -> dict[str, Any]:
    return {
        "status": status.value,
        "operation": record.operation,
        "http_status": result.http_status,
        "code": result.code,
        "message": result.message,
        # Qualified here: an audit event's own request_id is ours, not the cloud's.
        "cloud_request_id": result.request_id,
        "recommend": result.recommend,
    }


def _phase_audit(
    record: RequestRecord, owner: str, phase: Phase, progress: Mapping[str, Any]
) -> AuditDraft:
    data = {"request_id": record.id, "phase": phase.value, **progress}
    return AuditDraft(f"execution.{phase.value}", owner, data, record.id)


def from_call(result: CallResult) -> ExecutionResult:
    """The stored form of a cloud answer: the same fields by the same names (what only
    matters on the wire, ``retry_after``, stays there)."""
    return ExecutionResult(**{f.name: getattr(result, f.name) for f in fields(ExecutionResult)})

"""From what is stored to what Slack shows: card models and announcement messages.

The announcer and the ``/offboard status``/``list`` commands read records from the
repository and turn them into the views' plain models here. Everything shown comes from
the database (request, decisions, execution), never from a Slack message's text. Outbox
payloads only say *which* event to announce; the facts are re-read when it is rendered,
so a retried announcement shows the truth as it is now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.approvals.changes import counted
from bot.approvals.digest import digest, shown, signed_call
from bot.approvals.rules import Policy
from bot.slack.views import replies
from bot.slack.views.card import CardModel, Finding, status_line
from bot.slack.views.replies import SlackMessage
from commands.catalog import DEFAULT_CATALOG, Catalog, validate_params
from commands.catalog.quirks import ItemResult
from commands.client import CloudClient
from commands.errors import OffboardError
from storage.records import DecisionRecord, ExecutionRecord, LateAnswer, RequestRecord
from storage.states import Assurance, Status

_FINDING_STATUSES = {"ok", "blocked", "warning", "error"}


@dataclass(frozen=True)
class StoredResult:
    """An execution's stored answer, in the shape ``replies.result`` reads."""

    http_status: int
    code: str | None
    message: str | None
    request_id: str | None
    recommend: str | None
    body: Mapping[str, Any]
    ok: bool

    @classmethod
    def of(cls, execution: ExecutionRecord) -> StoredResult:
        return cls(
            http_status=execution.http_status or 0,
            code=execution.code,
            message=execution.message,
            request_id=execution.cloud_request_id,
            recommend=execution.recommend,
            body=execution.body or {},
            ok=execution.outcome == "SUCCEEDED",
        )

    @classmethod
    def late(cls, late: LateAnswer) -> StoredResult:
        """The answer that came after a take-over (see ``replies.correction``)."""
        return cls(
            http_status=late.result.http_status or 0,
            code=late.result.code,
            message=late.result.message,
            request_id=late.result.cloud_request_id,
            recommend=late.result.recommend,
            body=late.result.body or {},
            ok=late.outcome == "SUCCEEDED",
        )


def card_model(
    record: RequestRecord,
    decisions: Sequence[DecisionRecord],
    cloud: CloudClient,
    execution: ExecutionRecord | None = None,
    *,
    policy: Policy,
    catalog: Catalog = DEFAULT_CATALOG,
) -> CardModel:
    """The card's model for ``record`` as it is now, counted under ``policy``.

    Parameters are shown exactly as they will be signed (BssOpenApi's generated
    ``RequestId`` included) with the endpoint, the API version and their digest, as
    DESIGN.md asks. Approvals are counted by the rules' own ``tally``: current approvers
    other than the requester, once each, at the assurance the policy requires.
    """
    call = signed_call(record, cloud, catalog)
    count = counted(record, decisions, policy)
    return CardModel(
        request_id=record.id,
        action=call.action,
        product=call.product,
        version=call.version,
        endpoint=call.endpoint,
        params=call.params,
        summary=call.summary,
        danger=call.danger,
        requester=record.requester,
        reason=record.reason,
        status=record.status,
        required=record.required_approvals,
        created_at=record.created_at,
        expires_at=record.expires_at,
        approvals=count.approvals,
        rejections=count.rejections,
        findings=findings(record.prechecks),
        result_summary=TAMPERED_SUMMARY
        if record.status == "TAMPERED"
        else result_summary(execution),
        decided_by=_decided_by(record, count.rejections),
        assurance_note=assurance_note(policy, digest(call)),
    )


def assurance_note(policy: Policy, call_digest: str) -> str:
    """What the card says about how approvals are identified (DESIGN.md, step-up)."""
    if policy.required_assurance < Assurance.SECOND_FACTOR:
        return (
            ":warning: Approvals are Slack-only (OFFBOARD_STEP_UP=off): a click proves only "
            "that someone holds the approver's Slack session."
        )
    return (
        "Approving asks for a code from the approver's authenticator app · "
        f"digest `{shown(call_digest)}`"
    )


def endpoint(record: RequestRecord, cloud: CloudClient, catalog: Catalog = DEFAULT_CATALOG) -> str:
    """The base URL the request's call goes to, or "" when it cannot be worked out."""
    try:
        spec = catalog.get(record.operation)
        return cloud.endpoint_for(spec, validate_params(spec, record.params))
    except OffboardError:
        return ""


def _decided_by(record: RequestRecord, rejections: tuple[str, ...]) -> str | None:
    """Who ended the request, when one person did: the rejecter, or the requester."""
    if record.status == "REJECTED" and rejections:
        return rejections[0]
    if record.status == "CANCELLED":
        return record.requester
    return None


def findings(prechecks: Any) -> tuple[Finding, ...]:
    """Stored pre-check findings (JSON: ``[{"title", "status", "details"}]``) as views."""
    if not isinstance(prechecks, list):
        return ()
    found: list[Finding] = []
    for item in prechecks:
        if not isinstance(item, Mapping):
            continue
        status = str(item.get("status", "warning"))
        details = item.get("details") or ()
        found.append(
            Finding(
                title=str(item.get("title", "")),
                status=status if status in _FINDING_STATUSES else "warning",  # type: ignore[arg-type]
                details=tuple(str(d) for d in details),
            )
        )
    return tuple(found)


TAMPERED_SUMMARY = (
    "Refused before sending: the stored decisions do not justify the approval. Nothing was called."
)


def result_summary(execution: ExecutionRecord | None) -> str | None:
    """One line about the call's answer, for the final card and the requester's DM; with
    the late answer that corrected it, if one came."""
    if execution is None or execution.outcome is None:
        return None
    summary = f"{execution.outcome}: " + _answer(
        execution.code, execution.message, execution.cloud_request_id, execution.http_status
    )
    if execution.late is not None:
        late = execution.late.result
        summary += f". Late answer, the call did {execution.late.outcome}: " + _answer(
            late.code, late.message, late.cloud_request_id, late.http_status
        )
    return summary


def _answer(code: str | None, message: str | None, request_id: str | None, http: int | None) -> str:
    parts = [f"Code {code or '-'}"]
    if message:
        parts.append(f"Message {message}")
    if request_id:
        parts.append(f"RequestId {request_id}")
    if http:
        parts.append(f"HTTP {http}")
    return ", ".join(parts)


def thread_message(
    payload: Mapping[str, Any],
    record: RequestRecord,
    execution: ExecutionRecord | None,
    endpoint: str = "",
    catalog: Catalog = DEFAULT_CATALOG,
) -> SlackMessage:
    """The thread reply for one outbox ``payload`` (``event`` + the event's data)."""
    event = str(payload.get("event", ""))
    actor = str(payload.get("actor") or "")
    approvals = _ids(payload.get("approvals"))
    required = int(payload.get("required") or record.required_approvals)
    if event == "decided":
        vote: Literal["approve", "reject"] = (
            "reject" if payload.get("vote") == "reject" else "approve"
        )
        rejections = _ids(payload.get("rejections"))
        return replies.decided(
            actor, vote, approvals=approvals, rejections=rejections, required=required
        )
    if event == "approved":
        return replies.approved(approvals, required)
    if event == "rejected":
        return replies.rejected(actor)
    if event == "cancelled":
        return replies.cancelled(actor)
    if event == "expired":
        return replies.expired("execution" if payload.get("was") == "APPROVED" else "approval")
    if event == "executing":
        return replies.executing(record.operation, str(payload.get("endpoint") or endpoint))
    if event == "progress":
        details = payload.get("details") or ()
        status = str(payload.get("status") or payload.get("phase") or "")
        return replies.progress(record.operation, status, [str(d) for d in details])
    if event == "result" and execution is not None and execution.outcome == "UNKNOWN":
        detail = str(payload.get("message") or execution.message or "no answer came back")
        return replies.unknown(record.operation, detail)
    if event == "result" and execution is not None:
        return _result(record, execution, catalog)
    if event == "tampered":
        return replies.tampered(str(payload.get("why") or ""))
    if event == "correction" and execution is not None and execution.late is not None:
        late = StoredResult.late(execution.late)
        return replies.correction(record.operation, execution.outcome, late)
    if event == "reconciled":
        status = str(payload.get("status") or record.status)
        return replies.reconciled(record.operation, status, str(payload.get("message") or ""))
    return replies.message(status_line(record.status))


def _result(record: RequestRecord, execution: ExecutionRecord, catalog: Catalog) -> SlackMessage:
    """The stored answer, with the next step for a documented Code, the per-item Codes
    when the spec reads them, and "partly failed" when the stored outcome is PARTIAL."""
    return replies.result(
        record.operation,
        StoredResult.of(execution),
        next_step(record, execution, catalog),
        items=_items(record, execution, catalog),
        partial=execution.outcome == Status.PARTIAL,
    )


def next_step(
    record: RequestRecord, execution: ExecutionRecord, catalog: Catalog = DEFAULT_CATALOG
) -> str | None:
    """The catalog's next step for a failed call's Code, filled from the request's
    parameters and the cloud's Message; ``None`` for a success or an undocumented Code."""
    if execution.outcome != "FAILED" or not execution.code:
        return None
    try:
        spec = catalog.get(record.operation)
    except OffboardError:
        return None
    return spec.next_step(execution.code, record.params, execution.message)


def _items(
    record: RequestRecord, execution: ExecutionRecord, catalog: Catalog
) -> tuple[ItemResult, ...] | None:
    """The per-item Codes of the stored answer, when the operation's spec reads them."""
    try:
        read = catalog.get(record.operation).quirks.items
    except OffboardError:
        return None
    return read(execution.body or {}) if read is not None else None


def _ids(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()

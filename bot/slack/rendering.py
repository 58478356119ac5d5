"""From what is stored to what Slack shows: card models and announcement messages.

The announcer and the ``/offboard status``/``list`` commands read records from the
repository and turn them into the views' plain models here (thread replies:
:mod:`bot.slack.thread_replies`). Everything shown comes from the database (request,
decisions, execution), never from a Slack message's text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.approvals.changes import counted
from bot.approvals.digest import digest, shown, signed_call
from bot.approvals.tally import Policy
from bot.slack.views.card import CardModel, Finding
from commands.catalog import DEFAULT_CATALOG, Catalog, validate_params
from commands.catalog.quirks import ItemResult
from commands.client import CloudClient
from commands.errors import OffboardError
from storage.records import DecisionRecord, ExecutionRecord, ExecutionResult, RequestRecord
from storage.states import Assurance, Status

_FINDING_STATUSES = {"ok", "blocked", "warning", "error"}


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
    docs/INTERFACE.md promises approvers. Approvals are counted by the one count
    (:mod:`bot.approvals.tally`): current approvers other than the requester, once each,
    at the assurance the policy requires.
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
        if record.status == Status.TAMPERED
        else result_summary(execution),
        decided_by=_decided_by(record, count.rejections),
        assurance_note=assurance_note(policy, digest(call)),
    )


def assurance_note(policy: Policy, call_digest: str) -> str:
    """What the card says about how approvals are identified (OFFBOARD_STEP_UP)."""
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
    if record.status == Status.REJECTED and rejections:
        return rejections[0]
    if record.status == Status.CANCELLED:
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
    summary = f"{execution.outcome}: " + _answer(execution.result)
    if execution.late is not None:
        late = execution.late
        summary += f". Late answer, the call did {late.outcome}: " + _answer(late.result)
    return summary


def _answer(result: ExecutionResult) -> str:
    parts = [f"Code {result.code or '-'}"]
    if result.message:
        parts.append(f"Message {result.message}")
    if result.request_id:
        parts.append(f"RequestId {result.request_id}")
    if result.http_status:
        parts.append(f"HTTP {result.http_status}")
    return ", ".join(parts)


def next_step(
    record: RequestRecord, execution: ExecutionRecord, catalog: Catalog = DEFAULT_CATALOG
) -> str | None:
    """The catalog's next step for a failed call's Code, filled from the request's
    parameters and the cloud's Message; ``None`` for a success or an undocumented Code."""
    code, message = execution.result.code, execution.result.message
    if execution.outcome != Status.FAILED or not code:
        return None
    try:
        spec = catalog.get(record.operation)
    except OffboardError:
        return None
    return spec.next_step(code, record.params, message)


def items(
    record: RequestRecord, execution: ExecutionRecord, catalog: Catalog = DEFAULT_CATALOG
) -> tuple[ItemResult, ...] | None:
    """The per-item Codes of the stored answer, when the operation's spec reads them."""
    try:
        read = catalog.get(record.operation).quirks.items
    except OffboardError:
        return None
    return read(execution.result.body or {}) if read is not None else None

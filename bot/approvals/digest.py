"""The call a request will make, as approvers see it, and its short digest.

One function prepares what is shown (:func:`signed_call`: the operation, the parameters
exactly as they will be signed, the endpoint and the API version) and one hashes it
(:func:`digest`). The card, the step-up modal and the check on submit all use these two,
so the digest an approver compares on the card and in the modal is the one the server
recomputes before recording their approval: if anything of the call changed while the
modal was open, the digests differ and nothing is recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from commands.catalog import DEFAULT_CATALOG, Catalog, prepare_params, validate_params
from commands.client import CloudClient
from commands.errors import OffboardError
from storage.records import RequestRecord

# 16 hex digits (64 bits): short enough to read aloud, far too long to match by chance.
_DIGEST_HEX = 16


@dataclass(frozen=True)
class SignedCall:
    """What the request will send: exactly what approvers are shown."""

    action: str
    product: str
    version: str
    endpoint: str
    params: Mapping[str, str]
    summary: str
    danger: str


def signed_call(
    record: RequestRecord, cloud: CloudClient, catalog: Catalog = DEFAULT_CATALOG
) -> SignedCall:
    """The request's call as it will be signed (an idempotency parameter Offboard derives,
    such as BssOpenApi's RequestId, included); its spec is ``catalog``'s.

    A request stored before a catalog change that no longer validates is shown as stored,
    with no endpoint; its digest covers exactly that.
    """
    if record.plan_id is not None:
        return _gate_call(record)
    spec = catalog.get(record.operation)
    try:
        params = prepare_params(
            spec, validate_params(spec, record.params), offboard_request_id=record.id
        )
        signed = spec.serialize(params)
        endpoint = cloud.endpoint_for(spec, params)
        summary = spec.summary(params)
    except OffboardError:
        signed = {name: str(value) for name, value in record.params.items()}
        endpoint, summary = "", record.operation
    return SignedCall(
        action=spec.action,
        product=str(spec.product),
        version=spec.version,
        endpoint=endpoint,
        params=signed,
        summary=summary,
        danger=spec.danger,
    )


def _gate_call(record: RequestRecord) -> SignedCall:
    """A gate of a member plan: every step it covers, each exactly as it will be signed
    (the gate's params hold them so), in order. The digest covers them all."""
    steps = record.params.get("steps", [])
    params = {
        f"{number}. {step['action']}": json.dumps(step["params"], sort_keys=True)
        for number, step in enumerate(steps, start=1)
    }
    return SignedCall(
        action=record.operation,
        product="Offboard member plan",
        version=f"gate {record.gate}",
        endpoint="",
        params=params,
        summary=f"Gate {record.gate} of plan {record.plan_id}: {len(steps)} call(s)",
        danger="",
    )


def digest(call: SignedCall) -> str:
    """A short hash over operation, API version, endpoint and signed parameters."""
    canonical = json.dumps(
        {
            "action": call.action,
            "version": call.version,
            "endpoint": call.endpoint,
            "params": dict(call.params),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:_DIGEST_HEX]


def shown(value: str) -> str:
    """A digest as people read it: ``3f2a 91c0 7b44 e018``."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))

"""Frozen records of member plans and their steps, and the inputs that create them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.records import ExecutionResult
from storage.states import PlanState, StepState

_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_plan_id() -> str:
    """A short human id such as ``PL-7K3Q2X9M`` (40 random bits)."""
    return "PL-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class NewPlan:
    account_id: str
    requester: str
    reason: str
    state: PlanState
    proposal: dict[str, Any]
    requester_team: str | None = None
    channel: str | None = None
    submission_key: str | None = None
    id: str = field(default_factory=new_plan_id)


@dataclass(frozen=True)
class NewStep:
    """One call under a gate: the step as validated, and exactly what is signed."""

    ordinal: int
    key: str
    action: str
    step: dict[str, Any]
    signed: dict[str, Any]


@dataclass(frozen=True)
class PlanRecord:
    id: str
    account_id: str
    requester: str
    requester_team: str | None
    reason: str
    state: PlanState
    channel: str | None
    card_ts: str | None
    gate_ts: str | None
    proposal: dict[str, Any]
    fresh_check: Any
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class StepRecord:
    id: int
    plan_id: str
    request_id: str
    ordinal: int
    key: str
    action: str
    step: dict[str, Any]
    signed: dict[str, Any]
    state: StepState
    attempt: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    sent_at: datetime | None
    finished_at: datetime | None
    result: ExecutionResult  # the cloud's answer, in the one result type
    verified: str | None
    progress: str | None
    skip_reason: str | None


@dataclass(frozen=True)
class StepOutcome:
    """What a step ended with (or, FOLLOWING, where it is): the cloud's words, in the one
    result type (``result.request_id`` is the cloud's RequestId)."""

    state: StepState
    result: ExecutionResult = field(default_factory=ExecutionResult)
    verified: str | None = None
    progress: str | None = None

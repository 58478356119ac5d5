"""One result shape from the wire to the thread: the stored result is the wire's, by name."""

from __future__ import annotations

from dataclasses import asdict, fields

from bot.execution.results import from_call
from commands.responses import CallResult
from storage.records import ExecutionResult

WIRE = CallResult(
    409,
    "EntityNotExists.Account",
    "The account does not exist.",
    "F00D-REQUEST-ID",
    "https://api.aliyun.com/troubleshoot?q=EntityNotExists.Account",
    {"RequestId": "F00D-REQUEST-ID", "Code": "EntityNotExists.Account"},
    retry_after=2.0,
)


def test_the_stored_result_has_the_wire_s_fields_by_the_same_names_in_order() -> None:
    stored = [f.name for f in fields(ExecutionResult)]
    wire = [f.name for f in fields(CallResult)]
    assert wire[: len(stored)] == stored
    assert "request_id" in stored  # the cloud's RequestId, never renamed on the way


def test_from_call_keeps_every_value_and_leaves_the_wire_only_parts() -> None:
    kept = from_call(WIRE)
    assert asdict(kept) == {name: getattr(WIRE, name) for name in asdict(kept)}
    assert kept.request_id == "F00D-REQUEST-ID" and not hasattr(kept, "retry_after")

"""What a step's answer means for the plan: done, already done, failed, or unknown.

    settle(reader, step, result=...)   the cloud accepted the call
    settle(reader, step, error=...)    it refused, or did not answer

"Already done" is the catalog's declaration (``commands.catalog.already_done``): a
documented Code (AccountNotRegistered, AccountNotExist.DeleteAccount, ...), a per-item
Code inside Bastionhost's ``Results`` (OBJECT_NOT_FOUND), or, for RelieveAccountRelation
whose page documents no code, the step's verification read showing the effect in place.
A call that got no answer is settled by that read too: done if it shows the effect,
unknown otherwise (never sent again blindly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from commands.catalog import get_spec
from commands.catalog.already_done import already_done_of, code_means_done, item_is_done
from commands.catalog.quirks import Reader
from commands.errors import (
    ApiError,
    AuthError,
    CloudError,
    OutcomeUnknownError,
    ServerError,
    ThrottledError,
)
from commands.member_plan.steps import Step
from commands.member_plan.verify import verify
from commands.responses import CallResult

Verdict = Literal["done", "already_done", "failed", "unknown"]


@dataclass(frozen=True)
class Settled:
    """The plan's reading of one answer; ``details`` name items and what the cloud said."""

    verdict: Verdict
    message: str
    details: tuple[str, ...] = ()


def _items(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, Code) of each item a Bastionhost answer reports on: the host accounts of a
    host, or the host itself when none is named; a host whose own Code is not OK too."""
    items: list[tuple[str, str]] = []
    for host in body.get("Results") or []:
        if not isinstance(host, dict):
            continue
        name = f"host {host.get('HostId', '?')}"
        code = str(host.get("Code") or "")
        accounts = [a for a in host.get("HostAccounts") or [] if isinstance(a, dict)]
        if not accounts or code != "OK":
            items.append((name, code))
        items += [
            (f"{name} account {a.get('HostAccountId', '?')}", str(a.get("Code") or ""))
            for a in accounts
        ]
    return items


def _accepted(step: Step, result: CallResult) -> Settled:
    spec = get_spec(step.action)
    items = _items(result.body)
    failed = [
        f"{what}: {code or 'no Code'}" for what, code in items if not item_is_done(spec, code)
    ]
    if failed:
        return Settled("failed", f"{step.action} failed for some items.", tuple(failed))
    earlier = [f"{what}: {code}" for what, code in items if code != "OK"]
    if items and len(earlier) == len(items):
        return Settled(
            "already_done", f"{step.action}: every item was already done.", tuple(earlier)
        )
    return Settled("done", f"{step.action} succeeded.", tuple(earlier))


def _refused(reader: Reader, step: Step, error: ApiError) -> Settled:
    said = str(error)
    if code_means_done(step.action, error.code):
        return Settled("already_done", f"{step.action} was already done: {said}")
    transient = (ThrottledError, ServerError, AuthError)
    if already_done_of(step.action).by_read and not isinstance(error, transient):
        progress = verify(reader, step)
        if progress.verdict == "SUCCEEDED":
            return Settled("already_done", f"{said}; {progress.message}")
    return Settled("failed", said)


def settle(
    reader: Reader,
    step: Step,
    *,
    result: CallResult | None = None,
    error: CloudError | None = None,
) -> Settled:
    """The verdict on ``step`` from its answer (``result``) or its failure (``error``)."""
    if result is not None:
        return _accepted(step, result)
    if isinstance(error, ApiError):
        return _refused(reader, step, error)
    if isinstance(error, OutcomeUnknownError):
        progress = verify(reader, step)
        # RUNNING: a deletion the cloud accepted and is carrying out.
        if progress.verdict in ("SUCCEEDED", "RUNNING"):
            return Settled("done", f"{error}; {progress.message}")
        return Settled("unknown", f"{error}; {progress.message}", progress.details)
    return Settled("failed", str(error) if error else "no answer and no error")

"""ResourceManager's quirks: a member deletion is checked, followed and settled.

DeleteAccount
    prechecks      GetAccount (only a ResourceAccount can be deleted), then
                   CheckAccountDelete and GetAccountDeletionCheckResult polled to
                   PreCheckComplete (bounded)
    follow_up      GetAccountDeletionStatus: Checking, Deleting, then Success,
                   CheckFailed or DeleteFailed (the API page's values)
    settle         GetAccountDeletionStatus; without a deletion on record, GetAccount:
                   only its ``EntityNotExists.Account`` says the member is gone, any other
                   error (a not-found included) leaves the outcome unknown
    what_to_check  GetAccountDeletionStatus for the member
DeregisterDelegatedAdministrator
    prechecks      ListDelegatedServicesForAccount
    what_to_check  ListDelegatedAdministrators for the service

Already done (evidence in ``commands.catalog.already_done``): DeleteAccount's
``AccountNotExist.DeleteAccount``, DeregisterDelegatedAdministrator's
``AccountNotRegistered``, RegisterDelegatedAdministrator's ``AccountAlreadyRegistered``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from commands.catalog.quirks import (
    AlreadyDone,
    Checks,
    Finding,
    FollowUp,
    Progress,
    Quirks,
    Reader,
    guarded,
)
from commands.errors import ApiError, CloudError, NotFoundError
from commands.responses import CallResult

# The not-found a member that is gone answers (the DeleteAccount page's 404 "This resource
# directory account does not exist."; GetAccount answers it for a member that is gone).
# Settling takes only this code as "the member is gone", never any other not-found.
MEMBER_NOT_FOUND = "EntityNotExists.Account"
# GetAccount's Type: ResourceAccount or CloudAccount. The DeleteAccount page: "Deletes a
# member of the resource account type"; a cloud account answers MemberTypeError.DeleteAccount.
RESOURCE_ACCOUNT = "ResourceAccount"
#: GetAccountDeletionStatus ``Status`` values, from the API page.
DELETION_DONE = "Success"
DELETION_FAILED = ("CheckFailed", "DeleteFailed")
DELETION_RUNNING = ("Checking", "Deleting")


# ---- DeleteAccount ------------------------------------------------------------------


def _member(checks: Checks, account_id: str) -> Finding:
    body = checks.read("GetAccount", {"AccountId": account_id})
    account = body.get("Account") or {}
    name = account.get("DisplayName") or account.get("AccountName") or "?"
    kind = account.get("Type")
    details = [f"{account_id}: {name} ({kind or 'unknown type'}, {account.get('Status', '')})"]
    if kind == RESOURCE_ACCOUNT:
        return Finding("Member account", "ok", tuple(details))
    if kind:
        details.append(
            f"Only members of the resource account type can be deleted; this one is {kind}: "
            "the call would answer MemberTypeError.DeleteAccount."
        )
        return Finding("Member account", "blocked", tuple(details))
    details.append(
        "GetAccount did not say the member's type; only resource accounts can be deleted."
    )
    return Finding("Member account", "warning", tuple(details))


def _check_result(checks: Checks, account_id: str) -> dict[str, Any] | None:
    """GetAccountDeletionCheckResult polled until PreCheckComplete; None if it never is."""
    checks.read("CheckAccountDelete", {"AccountId": account_id})
    for attempt in range(checks.poll.attempts):
        body = checks.read("GetAccountDeletionCheckResult", {"AccountId": account_id})
        info: dict[str, Any] = body.get("AccountDeletionCheckResultInfo") or {}
        if info.get("Status") == "PreCheckComplete":
            return info
        if attempt + 1 < checks.poll.attempts:
            checks.poll.sleep(checks.poll.interval)
    return None


def _deletion_check(checks: Checks, account_id: str, abandoning: list[str]) -> Finding:
    title = "Deletion check"
    info = _check_result(checks, account_id)
    if info is None:
        return Finding(title, "warning", ("The check did not finish in time; run it again.",))
    blockers = info.get("NotAllowReason") or []
    abandonable = info.get("AbandonableChecks") or []
    details = [
        f"Blocked by {b.get('CheckName', '?')}: {b.get('Description', '')} "
        f"({b.get('CheckId', '?')})"
        for b in blockers
    ]
    pending = [a for a in abandonable if a.get("CheckId") not in abandoning]
    details += [
        f"Abandonable check {a.get('CheckId', '?')} ({a.get('CheckName', '?')}): "
        f"{a.get('Description', '')}" + (" - abandoned" if a.get("CheckId") in abandoning else "")
        for a in abandonable
    ]
    if str(info.get("AllowDelete")).lower() != "true" or blockers:
        return Finding(title, "blocked", tuple(details or ["Deletion is not allowed."]))
    if pending:
        return Finding(title, "warning", ("Deletion is allowed.", *details))
    return Finding(title, "ok", ("Deletion is allowed.", *details))


def _delete_prechecks(checks: Checks, params: Any) -> list[Finding]:
    account_id = params.AccountId
    abandoning = list(params.AbandonableCheckId or [])
    return [
        guarded("Member account", lambda: _member(checks, account_id)),
        guarded("Deletion check", lambda: _deletion_check(checks, account_id, abandoning)),
    ]


def read_deletion_status(result: CallResult) -> Progress:
    """A GetAccountDeletionStatus answer, read as the API page says."""
    info = result.body.get("RdAccountDeletionStatus") or {}
    status = str(info.get("Status") or "")
    if status == DELETION_DONE:
        return Progress("SUCCEEDED", "The member was deleted.", result=result)
    if status in DELETION_FAILED:
        reasons = tuple(
            f"{r.get('Name')}: {r.get('Description')}" for r in info.get("FailReasonList") or []
        )
        text = f"The deletion ended {status}" + (f": {'; '.join(reasons)}" if reasons else ".")
        return Progress("FAILED", text, reasons, result)
    if status in DELETION_RUNNING:
        return Progress("RUNNING", f"Deletion {status.lower()}.", result=result)
    return Progress("UNKNOWN", f"Unexpected deletion status {status or 'none'!r}.", result=result)


def deletion_status(reader: Reader, params: Any) -> Progress:
    """One GetAccountDeletionStatus of the member (the follow-up's poll)."""
    return read_deletion_status(
        reader.read("GetAccountDeletionStatus", {"AccountId": params.AccountId})
    )


def settle_deletion(reader: Reader, params: Any) -> Progress:
    """What became of a DeleteAccount that was sent but never answered. An UNKNOWN
    verdict's message says why; it raises what a read raises other than not-found."""
    account_id = params.AccountId
    try:
        progress = deletion_status(reader, params)
        if progress.verdict != "UNKNOWN":
            return progress
    except NotFoundError:
        pass  # no deletion on record: look at the member itself
    try:
        reader.read("GetAccount", {"AccountId": account_id})
    except CloudError as error:
        if isinstance(error, ApiError) and error.code == MEMBER_NOT_FOUND:
            return Progress("SUCCEEDED", f"Member {account_id} no longer exists.")
        raise
    # The member exists and no deletion is visible, but the call may still be in flight.
    return Progress(
        "UNKNOWN", f"Member {account_id} still exists and no deletion is on record yet."
    )


def _check_deletion(params: Mapping[str, str]) -> str:
    return (
        f"Run GetAccountDeletionStatus for AccountId {params.get('AccountId')} "
        "to see whether the member is being deleted."
    )


DELETE_ACCOUNT = Quirks(
    prechecks=_delete_prechecks,
    follow_up=FollowUp(deletion_status),
    settle=settle_deletion,
    what_to_check=_check_deletion,
    already_done=AlreadyDone(codes=frozenset({"AccountNotExist.DeleteAccount"})),
)


# ---- DeregisterDelegatedAdministrator -------------------------------------------------


def _deregister_prechecks(checks: Checks, params: Any) -> list[Finding]:
    title = f"Delegated administrator of {params.ServicePrincipal}"

    def run() -> Finding:
        body = checks.read("ListDelegatedServicesForAccount", {"AccountId": params.AccountId})
        services = (body.get("DelegatedServices") or {}).get("DelegatedService") or []
        names = [s.get("ServicePrincipal") for s in services]
        others = [n for n in names if n and n != params.ServicePrincipal]
        extra = [f"Also delegated administrator of: {', '.join(others)}"] if others else []
        if params.ServicePrincipal in names:
            said = f"{params.AccountId} is registered for {params.ServicePrincipal}."
            return Finding(title, "ok", (said, *extra))
        said = (
            f"{params.AccountId} is not registered for {params.ServicePrincipal}: the call "
            "would answer AccountNotRegistered."
        )
        return Finding(title, "blocked", (said, *extra))

    return [guarded(title, run)]


def _check_deregistration(params: Mapping[str, str]) -> str:
    return (
        f"Run ListDelegatedAdministrators for {params.get('ServicePrincipal')} and check "
        f"whether {params.get('AccountId')} is still listed."
    )


DEREGISTER_DELEGATED_ADMINISTRATOR = Quirks(
    prechecks=_deregister_prechecks,
    what_to_check=_check_deregistration,
    already_done=AlreadyDone(codes=frozenset({"AccountNotRegistered"})),
)

# The rollback's own retry (Resource Manager's public error-code list names the code).
REGISTER_DELEGATED_ADMINISTRATOR = Quirks(
    already_done=AlreadyDone(codes=frozenset({"AccountAlreadyRegistered"})),
)

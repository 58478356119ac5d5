"""What happened to a call whose answer we never got: ask the cloud, or tell humans.

A destructive call that was sent but not answered (the worker died, or the connection
broke after sending) is never sent again. For DeleteAccount the cloud can be asked:
``GetAccountDeletionStatus`` says whether a deletion is under way, failed or done, and
``GetAccount`` whether the member still exists: only its ``EntityNotExists.Account``
says the member is gone; any other error, a not-found included, leaves the outcome
unknown. The other operations have no such status call we can trust to tell our call
apart from anyone else's, so they end UNKNOWN with a message naming the read-only call
a person should run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from commands.catalog import get_spec, validate_params
from commands.catalog.resourcemanager import MEMBER_NOT_FOUND
from commands.client import CallResult, CloudClient
from commands.errors import ApiError, CloudError, NotFoundError

DELETE_ACCOUNT = "DeleteAccount"
#: GetAccountDeletionStatus ``Status`` values, from the API page.
DELETION_DONE = "Success"
DELETION_FAILED = ("CheckFailed", "DeleteFailed")
DELETION_RUNNING = ("Checking", "Deleting")

Verdict = Literal["SUCCEEDED", "FAILED", "UNKNOWN", "RUNNING"]


@dataclass(frozen=True)
class Finding:
    """What the cloud says about a call: a final status, or RUNNING (keep following)."""

    verdict: Verdict
    message: str
    body: dict[str, Any] = field(default_factory=dict)
    cloud_request_id: str | None = None


def what_to_check(operation: str, params: Mapping[str, Any]) -> str:
    """The read-only check a person should run before asking for the call again."""
    p = {k: str(v) for k, v in params.items()}
    if operation == DELETE_ACCOUNT:
        return (
            f"Run GetAccountDeletionStatus for AccountId {p.get('AccountId')} "
            "to see whether the member is being deleted."
        )
    if operation == "DeregisterDelegatedAdministrator":
        return (
            f"Run ListDelegatedAdministrators for {p.get('ServicePrincipal')} and check "
            f"whether {p.get('AccountId')} is still listed."
        )
    if operation in ("RelieveAccountRelation", "ModifyAccountRelation"):
        target = p.get("RelationId") or f"{p.get('ParentUserId')} -> {p.get('ChildUserId')}"
        return f"Run QueryRelationList and check the state of relation {target}."
    if operation == "DetachHostAccountsFromUser":
        return (
            f"Run ListHostAccountsForUser for user {p.get('UserId')} on "
            f"{p.get('InstanceId')} and check which host accounts are still attached."
        )
    return f"Check in the console whether {operation} took effect."


def unknown_outcome(operation: str, params: Mapping[str, Any], why: str) -> Finding:
    """The honest end for a call that may or may not have happened."""
    return Finding(
        "UNKNOWN",
        f"{why} It was not sent again. {what_to_check(operation, params)}",
    )


def deletion_finding(result: CallResult) -> Finding:
    """Read a GetAccountDeletionStatus answer."""
    info = result.body.get("RdAccountDeletionStatus") or {}
    status = str(info.get("Status") or "")
    if status == DELETION_DONE:
        return Finding("SUCCEEDED", "The member was deleted.", result.body, result.request_id)
    if status in DELETION_FAILED:
        reasons = "; ".join(
            f"{r.get('Name')}: {r.get('Description')}" for r in info.get("FailReasonList") or []
        )
        text = f"The deletion ended {status}" + (f": {reasons}" if reasons else ".")
        return Finding("FAILED", text, result.body, result.request_id)
    if status in DELETION_RUNNING:
        return Finding("RUNNING", f"Deletion {status.lower()}.", result.body, result.request_id)
    return Finding("UNKNOWN", f"Unexpected deletion status {status or 'none'!r}.", result.body)


def ask_deletion_status(client: CloudClient, account_id: str) -> Finding:
    """One GetAccountDeletionStatus call (read-only, retried by the client itself)."""
    spec = get_spec("GetAccountDeletionStatus")
    return deletion_finding(client.call(spec, validate_params(spec, {"AccountId": account_id})))


def reconcile_deletion(client: CloudClient, params: Mapping[str, Any]) -> Finding:
    """Find out what became of a DeleteAccount that was sent but never answered."""
    account_id = str(params.get("AccountId"))
    try:
        finding = ask_deletion_status(client, account_id)
        if finding.verdict != "UNKNOWN":
            return finding
    except NotFoundError:
        pass  # no deletion on record: look at the member itself
    except CloudError as error:
        return unknown_outcome(DELETE_ACCOUNT, params, f"Asking the cloud failed ({error}).")
    spec = get_spec("GetAccount")
    try:
        client.call(spec, validate_params(spec, {"AccountId": account_id}))
    except CloudError as error:
        if isinstance(error, ApiError) and error.code == MEMBER_NOT_FOUND:
            return Finding("SUCCEEDED", f"Member {account_id} no longer exists.")
        return unknown_outcome(DELETE_ACCOUNT, params, f"Asking the cloud failed ({error}).")
    # The member exists and no deletion is visible, but the call may still be in flight.
    return unknown_outcome(
        DELETE_ACCOUNT,
        params,
        f"Member {account_id} still exists and no deletion is on record yet.",
    )

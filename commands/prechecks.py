"""Read-only look-ups that tell approvers what a destructive call would meet.

``run_prechecks(client, spec, params)`` returns ``Finding`` values for the approval
card; it never raises: a failing read-only call is a Finding with status ``"error"``.

    DeleteAccount                     GetAccount, then CheckAccountDelete and polling
                                      GetAccountDeletionCheckResult (bounded)
    DeregisterDelegatedAdministrator  ListDelegatedServicesForAccount
    RelieveAccountRelation,
    ModifyAccountRelation             QueryRelationList
    DetachHostAccountsFromUser        ListHostAccountsForUser, once per host
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from commands.catalog import OperationSpec, get_spec, validate_params
from commands.catalog.bastionhost import parse_hosts
from commands.errors import OffboardError

log = logging.getLogger(__name__)

Status = Literal["ok", "blocked", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    """One thing the pre-checks found, for people: a title, a status, detail lines."""

    title: str
    status: Status
    details: list[str] = field(default_factory=list)


class _Result(Protocol):
    @property
    def body(self) -> dict[str, Any]: ...


class CallsCloud(Protocol):
    """What the pre-checks need of ``commands.client.CloudClient``."""

    def call(self, spec: Any, params: BaseModel, /) -> _Result: ...


@dataclass(frozen=True)
class PollPolicy:
    """How long to wait for GetAccountDeletionCheckResult to say PreCheckComplete."""

    interval: float = 1.0
    attempts: int = 10
    sleep: Callable[[float], None] = time.sleep


class _Checks:
    def __init__(self, client: CallsCloud, poll: PollPolicy, caller_uid: int | None) -> None:
        self.client = client
        self.poll = poll
        self.caller_uid = caller_uid

    def read(self, action: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        spec = get_spec(action)
        return dict(self.client.call(spec, validate_params(spec, raw)).body)


def run_prechecks(
    client: CallsCloud,
    spec: OperationSpec,
    params: BaseModel,
    *,
    poll: PollPolicy | None = None,
    caller_uid: int | None = None,
) -> list[Finding]:
    """The findings for ``spec`` called with ``params``; ``[]`` for read-only operations.

    ``caller_uid`` is the UID of the account we call as (the management account): it
    lets QueryRelationList find a relation given only by RelationId.
    """
    check = _BY_ACTION.get(spec.action)
    if check is None:
        return []
    checks = _Checks(client, poll or PollPolicy(), caller_uid)
    try:
        return check(checks, params)
    except OffboardError as exc:
        return [Finding(f"{spec.action} pre-check", "error", [str(exc)])]
    except Exception as exc:  # never out of here: the card must still be posted
        log.exception("pre-check of %s failed", spec.action)
        return [
            Finding(
                f"{spec.action} pre-check", "error", [f"Internal error ({type(exc).__name__})."]
            )
        ]


def _guard(title: str, run: Callable[[], Finding]) -> Finding:
    try:
        return run()
    except OffboardError as exc:
        return Finding(title, "error", [str(exc)])


# ---- DeleteAccount ------------------------------------------------------------------


# GetAccount's Type: ResourceAccount or CloudAccount. The DeleteAccount page: "Deletes a
# member of the resource account type"; a cloud account answers MemberTypeError.DeleteAccount.
RESOURCE_ACCOUNT = "ResourceAccount"


def _member(checks: _Checks, account_id: str) -> Finding:
    body = checks.read("GetAccount", {"AccountId": account_id})
    account = body.get("Account") or {}
    name = account.get("DisplayName") or account.get("AccountName") or "?"
    kind = account.get("Type")
    details = [f"{account_id}: {name} ({kind or 'unknown type'}, {account.get('Status', '')})"]
    if kind == RESOURCE_ACCOUNT:
        return Finding("Member account", "ok", details)
    if kind:
        details.append(
            f"Only members of the resource account type can be deleted; this one is {kind}: "
            "the call would answer MemberTypeError.DeleteAccount."
        )
        return Finding("Member account", "blocked", details)
    details.append(
        "GetAccount did not say the member's type; only resource accounts can be deleted."
    )
    return Finding("Member account", "warning", details)


def _deletion_check(checks: _Checks, account_id: str, abandoning: list[str]) -> Finding:
    title = "Deletion check"
    checks.read("CheckAccountDelete", {"AccountId": account_id})
    info: dict[str, Any] = {}
    for attempt in range(checks.poll.attempts):
        body = checks.read("GetAccountDeletionCheckResult", {"AccountId": account_id})
        info = body.get("AccountDeletionCheckResultInfo") or {}
        if info.get("Status") == "PreCheckComplete":
            break
        if attempt + 1 < checks.poll.attempts:
            checks.poll.sleep(checks.poll.interval)
    else:
        return Finding(title, "warning", ["The check did not finish in time; run it again."])
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
        return Finding(title, "blocked", details or ["Deletion is not allowed."])
    if pending:
        return Finding(title, "warning", ["Deletion is allowed.", *details])
    return Finding(title, "ok", ["Deletion is allowed.", *details])


def _delete_account(checks: _Checks, params: Any) -> list[Finding]:
    account_id = params.AccountId
    abandoning = list(params.AbandonableCheckId or [])
    return [
        _guard("Member account", lambda: _member(checks, account_id)),
        _guard("Deletion check", lambda: _deletion_check(checks, account_id, abandoning)),
    ]


# ---- DeregisterDelegatedAdministrator ----------------------------------------------


def _deregister(checks: _Checks, params: Any) -> list[Finding]:
    title = f"Delegated administrator of {params.ServicePrincipal}"

    def run() -> Finding:
        body = checks.read("ListDelegatedServicesForAccount", {"AccountId": params.AccountId})
        services = (body.get("DelegatedServices") or {}).get("DelegatedService") or []
        names = [s.get("ServicePrincipal") for s in services]
        others = [n for n in names if n and n != params.ServicePrincipal]
        extra = [f"Also delegated administrator of: {', '.join(others)}"] if others else []
        if params.ServicePrincipal in names:
            return Finding(
                title,
                "ok",
                [f"{params.AccountId} is registered for {params.ServicePrincipal}.", *extra],
            )
        return Finding(
            title,
            "blocked",
            [
                f"{params.AccountId} is not registered for {params.ServicePrincipal}: the call "
                "would answer AccountNotRegistered.",
                *extra,
            ],
        )

    return [_guard(title, run)]


# ---- RelieveAccountRelation / ModifyAccountRelation ---------------------------------


def _relation(checks: _Checks, params: Any) -> list[Finding]:
    title = "Finance relation"
    uid = params.ParentUserId or params.ChildUserId or checks.caller_uid
    if uid is None:
        return [
            Finding(
                title,
                "warning",
                [f"Relation {params.RelationId} not looked up: give ParentUserId to see it."],
            )
        ]

    def matches(row: Mapping[str, Any]) -> bool:
        if params.RelationId is not None:
            return bool(row.get("RelationId") == params.RelationId)
        other = params.ChildUserId if uid == params.ParentUserId else params.ParentUserId
        return bool(row.get("AccountId") == other)

    def run() -> Finding:
        body = checks.read("QueryRelationList", {"UserId": uid})
        rows = (body.get("Data") or {}).get("FinancialRelationInfoList") or []
        found = [row for row in rows if matches(row)]
        if not found:
            return Finding(title, "blocked", [f"No relation in effect matches for account {uid}."])
        return Finding(
            title,
            "ok",
            [
                f"Relation {r.get('RelationId')}: {r.get('RelationType')} {r.get('State')} with "
                f"{r.get('AccountType', '').lower()} {r.get('AccountId')} "
                f"since {r.get('StartTime')}"
                for r in found
            ],
        )

    return [_guard(title, run)]


# ---- DetachHostAccountsFromUser -----------------------------------------------------


def _detach(checks: _Checks, params: Any) -> list[Finding]:
    findings = []
    for host in parse_hosts(params.Hosts):
        host_id = host["HostId"]
        wanted = host.get("HostAccountIds")
        title = f"Host {host_id} of user {params.UserId}"

        def run(
            host_id: str = host_id, wanted: list[str] | None = wanted, title: str = title
        ) -> Finding:
            raw = {"InstanceId": params.InstanceId, "UserId": params.UserId, "HostId": host_id}
            if params.RegionId:
                raw["RegionId"] = params.RegionId
            body = checks.read("ListHostAccountsForUser", raw)
            accounts = body.get("HostAccounts") or []
            held = {str(a.get("HostAccountId")): a for a in accounts if a.get("IsAuthorized")}
            details = [
                "Authorized now: "
                + (
                    ", ".join(f"{a.get('HostAccountName')} ({i})" for i, a in held.items())
                    or "none"
                )
            ]
            if wanted is None:
                details.append("All of the user's accounts on this host will be revoked.")
                return Finding(title, "ok" if held else "warning", details)
            missing = [i for i in wanted if i not in held]
            if missing:
                details.append(
                    f"Not authorized for this user (nothing to revoke): {', '.join(missing)}"
                )
            return Finding(title, "warning" if missing else "ok", details)

        findings.append(_guard(title, run))
    return findings


_BY_ACTION: dict[str, Callable[[_Checks, Any], list[Finding]]] = {
    "DeleteAccount": _delete_account,
    "DeregisterDelegatedAdministrator": _deregister,
    "RelieveAccountRelation": _relation,
    "ModifyAccountRelation": _relation,
    "DetachHostAccountsFromUser": _detach,
}

"""What the read-only pre-checks found, for the approval card.

Run after the modal has closed (they call the cloud), before the card is posted. Each
operation asks what would make its call fail or surprise the approvers:

DeleteAccount                     CheckAccountDelete + GetAccountDeletionCheckResult: may
                                  it be deleted, the blocking reasons, abandonable checks
DeregisterDelegatedAdministrator  ListDelegatedAdministrators: is it registered for that
                                  service at all
RelieveAccountRelation /          QueryRelationList: the relation as the billing system
ModifyAccountRelation             shows it
DetachHostAccountsFromUser        ListHostAccountsForUser: the user's host accounts

Findings are stored as JSON (``[{"title", "status", "details"}]``) with the request. A
pre-check never blocks a request: a failed look-up is itself a finding ("error").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from commands.catalog import OperationSpec, get_spec, validate_params
from commands.client import CloudClient
from commands.errors import CloudError, OffboardError

Finding = dict[str, Any]
_MAX_DETAILS = 8


def findings_for(cloud: CloudClient, spec: OperationSpec, params: BaseModel) -> list[Finding]:
    """Run the pre-checks of ``spec``'s operation; ``[]`` when it has none."""
    check = _CHECKS.get(spec.action)
    if check is None:
        return []
    try:
        return check(cloud, params)
    except (CloudError, OffboardError) as error:
        return [_finding("Pre-check could not run", "error", [str(error)])]


def _call(cloud: CloudClient, action: str, **raw: Any) -> dict[str, Any]:
    spec = get_spec(action)
    values = {k: v for k, v in raw.items() if v is not None}
    return dict(cloud.call(spec, validate_params(spec, values)).body)


def _finding(title: str, status: str, details: list[str] | tuple[str, ...] = ()) -> Finding:
    return {"title": title, "status": status, "details": list(details)[:_MAX_DETAILS]}


def _delete_account(cloud: CloudClient, params: BaseModel) -> list[Finding]:
    account = str(params.AccountId)  # type: ignore[attr-defined]
    _call(cloud, "CheckAccountDelete", AccountId=account)
    body = _call(cloud, "GetAccountDeletionCheckResult", AccountId=account)
    info = body.get("AccountDeletionCheckResultInfo") or {}
    allowed = str(info.get("AllowDelete")).lower() == "true"
    reasons = [_check_item(item) for item in info.get("NotAllowReason") or []]
    abandonable = [_check_item(item) for item in info.get("AbandonableChecks") or []]
    title = f"Deletion check ({info.get('Status') or 'no status'})"
    found = [
        _finding(title, "ok", ["Deletion is allowed."])
        if allowed
        else _finding(title, "blocked", reasons or ["Deletion is not allowed."])
    ]
    if abandonable:
        found.append(_finding("Checks that may be abandoned", "warning", abandonable))
    return found


def _check_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    name = item.get("CheckName") or item.get("CheckId") or "check"
    return f"{name}: {item.get('Description') or ''}".strip().rstrip(":")


def _deregister(cloud: CloudClient, params: BaseModel) -> list[Finding]:
    account = str(params.AccountId)  # type: ignore[attr-defined]
    service = str(params.ServicePrincipal)  # type: ignore[attr-defined]
    body = _call(cloud, "ListDelegatedAdministrators", ServicePrincipal=service)
    accounts = (body.get("Accounts") or {}).get("Account") or []
    ids = {str(a.get("AccountId")) for a in accounts if isinstance(a, dict)}
    title = f"Delegated administrators of {service}"
    if account in ids:
        return [_finding(title, "ok", [f"{account} is registered; it will be deregistered."])]
    return [
        _finding(
            title,
            "warning",
            [f"{account} is not registered for {service}; the call will fail."],
        )
    ]


def _relation(cloud: CloudClient, params: BaseModel) -> list[Finding]:
    parent = getattr(params, "ParentUserId", None)
    relation_id = getattr(params, "RelationId", None)
    child = getattr(params, "ChildUserId", None)
    if parent is None:
        return [_finding("Financial relation", "warning", ["No ParentUserId to look it up."])]
    body = _call(cloud, "QueryRelationList", UserId=str(parent))
    rows = ((body.get("Data") or {}).get("FinancialRelationInfoList")) or []
    matching = [
        r
        for r in rows
        if isinstance(r, dict)
        and (
            (relation_id is not None and str(r.get("RelationId")) == str(relation_id))
            or (child is not None and str(r.get("AccountId")) == str(child))
        )
    ]
    if not matching:
        return [_finding("Financial relation", "warning", ["No such relation was found."])]
    details = [
        f"RelationId {r.get('RelationId')}: {r.get('RelationType')} with "
        f"{r.get('AccountId')} ({r.get('AccountType')}), state {r.get('State')}"
        for r in matching
    ]
    return [_finding("Financial relation", "ok", details)]


def _host_accounts(cloud: CloudClient, params: BaseModel) -> list[Finding]:
    hosts = json.loads(str(params.Hosts))  # type: ignore[attr-defined]
    details: list[str] = []
    for host in hosts if isinstance(hosts, list) else []:
        host_id = str(host.get("HostId")) if isinstance(host, dict) else str(host)
        body = _call(
            cloud,
            "ListHostAccountsForUser",
            InstanceId=str(params.InstanceId),  # type: ignore[attr-defined]
            RegionId=str(params.RegionId),  # type: ignore[attr-defined]
            UserId=str(params.UserId),  # type: ignore[attr-defined]
            HostId=host_id,
        )
        names = [
            f"{a.get('HostAccountName')} (id {a.get('HostAccountId')})"
            for a in body.get("HostAccounts") or []
            if isinstance(a, dict)
        ]
        details.append(f"Host {host_id}: " + (", ".join(names) or "no host accounts"))
    return [_finding("The user's host accounts", "ok", details)]


_CHECKS: dict[str, Callable[[CloudClient, BaseModel], list[Finding]]] = {
    "DeleteAccount": _delete_account,
    "DeregisterDelegatedAdministrator": _deregister,
    "RelieveAccountRelation": _relation,
    "ModifyAccountRelation": _relation,
    "DetachHostAccountsFromUser": _host_accounts,
}

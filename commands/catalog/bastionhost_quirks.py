"""Bastionhost's quirks: grants looked up per host, and per-item Codes inside a 200.

DetachHostAccountsFromUser
    prechecks      ListHostAccountsForUser, once per host: what the user holds now
    items          ``Results``: each host's Code and its host accounts' Codes
    item_failures  a Code other than OK that is not "already done" (UNEXPECTED,
                   INVALID_ARGUMENT): the call succeeded only partly (PARTIAL)
    what_to_check  ListHostAccountsForUser for the user on the instance
    already_done   per item ``OBJECT_NOT_FOUND`` (a grant that is not there)
AttachHostAccountsToUser (a plan's rollback): the same ``Results``; already done per item
``OBJECT_AlREADY_EXISTS`` (the official SDK's ``Results`` docstring spells it so).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from commands.catalog.quirks import AlreadyDone, Checks, Finding, ItemResult, Quirks, guarded
from commands.responses import CallResult


def parse_hosts(hosts: str) -> list[dict[str, Any]]:
    """The host entries of a validated ``Hosts`` value."""
    parsed: list[dict[str, Any]] = json.loads(hosts)
    return parsed


def _host_finding(checks: Checks, params: Any, host: dict[str, Any]) -> Finding:
    host_id, wanted = host["HostId"], host.get("HostAccountIds")
    raw = {"InstanceId": params.InstanceId, "UserId": params.UserId, "HostId": host_id}
    if params.RegionId:
        raw["RegionId"] = params.RegionId
    accounts = checks.read("ListHostAccountsForUser", raw).get("HostAccounts") or []
    held = {str(a.get("HostAccountId")): a for a in accounts if a.get("IsAuthorized")}
    now = ", ".join(f"{a.get('HostAccountName')} ({i})" for i, a in held.items())
    details = [f"Authorized now: {now or 'none'}"]
    title = f"Host {host_id} of user {params.UserId}"
    if wanted is None:
        details.append("All of the user's accounts on this host will be revoked.")
        return Finding(title, "ok" if held else "warning", tuple(details))
    missing = [i for i in wanted if i not in held]
    if missing:
        details.append(f"Not authorized for this user (nothing to revoke): {', '.join(missing)}")
    return Finding(title, "warning" if missing else "ok", tuple(details))


def _detach_prechecks(checks: Checks, params: Any) -> list[Finding]:
    return [
        guarded(
            f"Host {host['HostId']} of user {params.UserId}",
            lambda host=host: _host_finding(checks, params, host),  # type: ignore[misc]
        )
        for host in parse_hosts(params.Hosts)
    ]


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def host_results(body: Mapping[str, Any]) -> tuple[ItemResult, ...]:
    """Each host of ``Results`` with its Code, and its host accounts' Codes."""
    results = body.get("Results")
    items: list[ItemResult] = []
    for host in results if isinstance(results, list) else []:
        if not isinstance(host, Mapping):
            continue
        accounts = host.get("HostAccounts")
        parts = tuple(
            (_str(a.get("HostAccountId")), _str(a.get("Code")))
            for a in (accounts if isinstance(accounts, list) else [])
            if isinstance(a, Mapping)
        )
        items.append(
            ItemResult("Host", _str(host.get("HostId")), _str(host.get("Code")), "accounts", parts)
        )
    return tuple(items)


def failures_but(done: AlreadyDone) -> Callable[[CallResult], tuple[str, ...]]:
    """The hosts and host accounts whose Code is neither OK nor one of ``done``'s item
    Codes (the wanted state is already there), one line each."""
    fine = {"OK", *done.item_codes}

    def failures(result: CallResult) -> tuple[str, ...]:
        found: list[str] = []
        for host in host_results(result.body):
            if host.code not in fine:
                found.append(f"host {host.id}: {host.code or 'no Code'}")
            found += [
                f"host {host.id} account {account}: {code or 'no Code'}"
                for account, code in host.parts
                if code not in fine
            ]
        return tuple(found)

    return failures


def _check_grants(params: Mapping[str, str], still: str = "still ") -> str:
    return (
        f"Run ListHostAccountsForUser for user {params.get('UserId')} on "
        f"{params.get('InstanceId')} and check which host accounts are {still}attached."
    )


_DETACHED = AlreadyDone(item_codes=frozenset({"OBJECT_NOT_FOUND"}))
_ATTACHED = AlreadyDone(item_codes=frozenset({"OBJECT_AlREADY_EXISTS"}))

DETACH_HOST_ACCOUNTS_FROM_USER = Quirks(
    prechecks=_detach_prechecks,
    items=host_results,
    item_failures=failures_but(_DETACHED),
    what_to_check=_check_grants,
    already_done=_DETACHED,
)

ATTACH_HOST_ACCOUNTS_TO_USER = Quirks(
    items=host_results,
    item_failures=failures_but(_ATTACHED),
    what_to_check=lambda params: _check_grants(params, still=""),
    already_done=_ATTACHED,
)

"""Bastionhost (2019-12-09) as the sandbox answers it.

DetachHostAccountsFromUser answers per host and per host account (``Results``),
``OBJECT_NOT_FOUND`` where the host, the user or the host account is unknown, and
HTTP 200 overall, as the page's example shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from commands.sandbox.errors import SandboxError, required
from commands.sandbox.world import BastionInstance, World

INVALID = (400, "InvalidParameter", "The argument is invalid.")
INSTANCE_NOT_FOUND = (404, "EntityNotExists.Instance", "The bastion host instance does not exist.")
HOST_NOT_FOUND = (404, "EntityNotExists.Host", "The host does not exist.")
USER_NOT_FOUND = (404, "EntityNotExists.User", "The user does not exist.")


def _instance(world: World, params: Mapping[str, str]) -> BastionInstance:
    instance = world.instances.get(required(params, "InstanceId"))
    region = params.get("RegionId")
    if instance is None or (region and region != instance.region_id):
        raise SandboxError.of(INSTANCE_NOT_FOUND)
    return instance


def _hosts(text: str) -> list[dict[str, Any]]:
    # "You can specify up to 10 host IDs and up to 10 host account IDs for each host."
    try:
        hosts = json.loads(text)
    except ValueError:
        raise SandboxError.of(INVALID) from None
    if not isinstance(hosts, list) or not 1 <= len(hosts) <= 10:
        raise SandboxError.of(INVALID)
    for host in hosts:
        if not isinstance(host, dict) or "HostId" not in host:
            raise SandboxError.of(INVALID)
        accounts = host.get("HostAccountIds", [])
        if not isinstance(accounts, list) or len(accounts) > 10:
            raise SandboxError.of(INVALID)
    return hosts


def _result(
    code: str, host_id: str, user_id: str, accounts: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "Code": code,
        "Message": "None",
        "HostId": host_id,
        "UserId": user_id,
        "HostAccounts": accounts,
    }


def detach_host_accounts_from_user(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    instance = _instance(world, params)
    user_id = required(params, "UserId")
    hosts = _hosts(required(params, "Hosts"))
    known_user = user_id in instance.users
    grants = instance.grants.setdefault(user_id, {}) if known_user else {}
    results = []
    for entry in hosts:
        host_id = str(entry["HostId"])
        host = instance.hosts.get(host_id)
        wanted = [str(a) for a in entry.get("HostAccountIds", [])]
        if host is None or not known_user:
            accounts = [
                {"Code": "OBJECT_NOT_FOUND", "Message": "None", "HostAccountId": a} for a in wanted
            ]
            results.append(_result("OBJECT_NOT_FOUND", host_id, user_id, accounts))
            continue
        held = grants.get(host_id, set())
        if not wanted:
            # "You can specify only host IDs. In this case, the permissions on the
            # specified hosts and all accounts of the hosts are revoked from the user."
            grants.pop(host_id, None)
            results.append(_result("OK", host_id, user_id, []))
            continue
        accounts = []
        for account_id in wanted:
            if account_id not in host.accounts:
                accounts.append(
                    {"Code": "OBJECT_NOT_FOUND", "Message": "None", "HostAccountId": account_id}
                )
                continue
            held.discard(account_id)
            accounts.append({"Code": "OK", "Message": "None", "HostAccountId": account_id})
        if host_id in grants and not held:
            grants.pop(host_id)
        results.append(_result("OK", host_id, user_id, accounts))
    return {"Results": results}


def list_host_accounts_for_user(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    instance = _instance(world, params)
    user_id = required(params, "UserId")
    host_id = required(params, "HostId")
    if user_id not in instance.users:
        raise SandboxError.of(USER_NOT_FOUND)
    host = instance.hosts.get(host_id)
    if host is None:
        raise SandboxError.of(HOST_NOT_FOUND)
    name = params.get("HostAccountName")
    held = instance.grants.get(user_id, {}).get(host_id, set())
    rows = [
        {
            "HostAccountId": a.host_account_id,
            "HostAccountName": a.name,
            "HostAccountType": a.type,
            "HostId": host_id,
            "IsAuthorized": a.host_account_id in held,
            "ProtocolName": a.protocol,
        }
        for a in host.accounts.values()
        if not name or a.name == name
    ]
    page = params.get("PageNumber") or "1"
    size = params.get("PageSize") or "20"
    if not (re.fullmatch(r"[0-9]{1,4}", page) and re.fullmatch(r"[0-9]{1,3}", size)):
        raise SandboxError.of(INVALID)
    number, per = max(int(page), 1), min(max(int(size), 1), 100)
    return {"TotalCount": len(rows), "HostAccounts": rows[(number - 1) * per : number * per]}


HANDLERS = {
    "DetachHostAccountsFromUser": detach_host_accounts_from_user,
    "ListHostAccountsForUser": list_host_accounts_for_user,
}

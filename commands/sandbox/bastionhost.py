"""Bastionhost (2019-12-09) as the sandbox answers it.

DetachHostAccountsFromUser answers per host and per host account (``Results``),
``OBJECT_NOT_FOUND`` where the host, the user or the host account is unknown, or where
the user does not hold it (any more): the object of the operation, the grant, "does not
exist" (the page's words), so a detach sent twice says so. HTTP 200 overall, as the
page's example shows. A missing or malformed argument is the
page's ``InvalidParameter`` ("The argument is invalid."); an unknown instance is
invented (``EntityNotExists.Instance``, listed in ``commands.sandbox.errors``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from commands.sandbox.errors import SandboxError, documented, invented, required
from commands.sandbox.world import BastionInstance, World

DETACH = "DetachHostAccountsFromUser"


def _invalid() -> SandboxError:
    return documented(DETACH, "InvalidParameter")


def _argument(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise _invalid()  # the page documents no MissingParameter: the argument is invalid
    return value


def _instance(world: World, params: Mapping[str, str], instance_id: str) -> BastionInstance:
    instance = world.instances.get(instance_id)
    region = params.get("RegionId")
    if instance is None or (region and region != instance.region_id):
        raise invented("EntityNotExists.Instance")
    return instance


def _hosts(text: str) -> list[dict[str, Any]]:
    # "You can specify up to 10 host IDs and up to 10 host account IDs for each host."
    try:
        hosts = json.loads(text)
    except ValueError:
        raise _invalid() from None
    if not isinstance(hosts, list) or not 1 <= len(hosts) <= 10:
        raise _invalid()
    for host in hosts:
        if not isinstance(host, dict) or "HostId" not in host:
            raise _invalid()
        accounts = host.get("HostAccountIds", [])
        if not isinstance(accounts, list) or len(accounts) > 10:
            raise _invalid()
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
    instance = _instance(world, params, _argument(params, "InstanceId"))
    user_id = _argument(params, "UserId")
    hosts = _hosts(_argument(params, "Hosts"))
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
        if host.unexpected:  # nothing changes on this host; each item says so
            failed = [{"Code": "UNEXPECTED", "Message": "None", "HostAccountId": a} for a in wanted]
            results.append(_result("OK" if wanted else "UNEXPECTED", host_id, user_id, failed))
            continue
        if not wanted:
            # "You can specify only host IDs. In this case, the permissions on the
            # specified hosts and all accounts of the hosts are revoked from the user."
            code = "OK" if host_id in grants else "OBJECT_NOT_FOUND"
            grants.pop(host_id, None)
            results.append(_result(code, host_id, user_id, []))
            continue
        accounts = []
        for account_id in wanted:
            if account_id not in host.accounts or account_id not in held:
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
    instance = _instance(world, params, required(params, "InstanceId"))
    user_id = required(params, "UserId")
    host_id = required(params, "HostId")
    if user_id not in instance.users:
        raise invented("EntityNotExists.User")
    host = instance.hosts.get(host_id)
    if host is None:
        raise invented("EntityNotExists.Host")
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
        raise invented("InvalidParameter.PageSize")
    number, per = max(int(page), 1), min(max(int(size), 1), 100)
    return {"TotalCount": len(rows), "HostAccounts": rows[(number - 1) * per : number * per]}


HANDLERS = {
    "DetachHostAccountsFromUser": detach_host_accounts_from_user,
    "ListHostAccountsForUser": list_host_accounts_for_user,
}

"""Bastionhost's ListHostsForUser and AttachHostAccountsToUser in the sandbox.

Neither page is in our reference set (the catalog's specs follow the official SDK).
ListHostsForUser lists the hosts the user holds (``Mode=Authorized``, the default) or the
others (``Unauthorized``), filtered by exact ``HostName``/``HostAddress``/``OSType``, paged
(``PageSize`` at most 100, as the SDK says). An unknown user is ``EntityNotExists.User``,
an unknown instance ``EntityNotExists.Instance`` (both invented, listed in
``commands.sandbox.errors``).

AttachHostAccountsToUser answers per host and per host account like
DetachHostAccountsFromUser (``Results``; the SDK's codes): ``OK``, ``OBJECT_NOT_FOUND``
for a host or host account that does not exist, ``OBJECT_AlREADY_EXISTS`` for one the user
already holds. A malformed argument is DetachHostAccountsFromUser's page's
``InvalidParameter`` (its sibling; the Attach page is not in our set). Like the public
page, the sandbox takes up to 10 hosts and 10 host accounts each; the catalog keeps to
the SDK's stricter 9.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from commands.sandbox.bastionhost import DETACH, _argument, _hosts, _instance, _result
from commands.sandbox.errors import documented, invented, required
from commands.sandbox.world import BastionInstance, Host, World


def _host_row(host: Host) -> dict[str, Any]:
    windows = any(a.protocol == "RDP" for a in host.accounts.values())
    return {
        "HostId": host.host_id,
        "HostName": host.name,
        "ActiveAddressType": "Private",
        "HostPrivateAddress": f"10.0.0.{host.host_id}",
        "HostPublicAddress": "",
        "OSType": "Windows" if windows else "Linux",
        "Comment": "",
        "ProjectId": 1,
        "ProjectName": "default",
    }


def _page(params: Mapping[str, str]) -> tuple[int, int]:
    page, size = params.get("PageNumber") or "1", params.get("PageSize") or "20"
    if not (re.fullmatch(r"[0-9]{1,4}", page) and re.fullmatch(r"[0-9]{1,3}", size)):
        raise invented("InvalidParameter.PageSize")
    if not 1 <= int(size) <= 100:
        raise invented("InvalidParameter.PageSize")
    return max(int(page), 1), int(size)


def _matches(row: Mapping[str, Any], params: Mapping[str, str]) -> bool:
    wanted = {
        "HostName": params.get("HostName"),
        "HostPrivateAddress": params.get("HostAddress"),
        "OSType": params.get("OSType"),
    }
    return all(not value or row[key] == value for key, value in wanted.items())


def list_hosts_for_user(world: World, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    instance = _instance(world, params, required(params, "InstanceId"))
    user_id = required(params, "UserId")
    if user_id not in instance.users:
        raise invented("EntityNotExists.User")
    held = instance.grants.get(user_id, {})
    authorized = (params.get("Mode") or "Authorized") == "Authorized"
    rows = [
        _host_row(host)
        for host_id, host in instance.hosts.items()
        if (host_id in held) == authorized
    ]
    rows = [row for row in rows if _matches(row, params)]
    number, size = _page(params)
    return {"TotalCount": len(rows), "Hosts": rows[(number - 1) * size : number * size]}


def _attach_host(
    instance: BastionInstance, user_id: str, entry: Mapping[str, Any]
) -> dict[str, Any]:
    host_id = str(entry["HostId"])
    host = instance.hosts.get(host_id)
    wanted = [str(a) for a in entry.get("HostAccountIds", [])]
    if host is None:
        missing = [
            {"Code": "OBJECT_NOT_FOUND", "Message": "None", "HostAccountId": a} for a in wanted
        ]
        return _result("OBJECT_NOT_FOUND", host_id, user_id, missing)
    grants = instance.grants.setdefault(user_id, {})
    if not wanted:
        code = "OBJECT_AlREADY_EXISTS" if host_id in grants else "OK"
        grants.setdefault(host_id, set())
        return _result(code, host_id, user_id, [])
    held = grants.setdefault(host_id, set())
    accounts = []
    for account_id in wanted:
        if account_id not in host.accounts:
            code = "OBJECT_NOT_FOUND"
        elif account_id in held:
            code = "OBJECT_AlREADY_EXISTS"
        else:
            code = "OK"
            held.add(account_id)
        accounts.append({"Code": code, "Message": "None", "HostAccountId": account_id})
    return _result("OK", host_id, user_id, accounts)


def attach_host_accounts_to_user(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    instance = _instance(world, params, _argument(params, "InstanceId"))
    user_id = _argument(params, "UserId")
    hosts = _hosts(_argument(params, "Hosts"))
    if user_id not in instance.users:
        raise documented(DETACH, "InvalidParameter")
    return {"Results": [_attach_host(instance, user_id, entry) for entry in hosts]}


HANDLERS = {
    "ListHostsForUser": list_hosts_for_user,
    "AttachHostAccountsToUser": attach_host_accounts_to_user,
}

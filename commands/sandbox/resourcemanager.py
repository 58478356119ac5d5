"""ResourceManager (2020-03-31) as the sandbox answers it.

Each handler takes the world, the flat parameters and ``now``, and returns the body
(the server adds ``RequestId``) or raises ``SandboxError`` with the code the API page
documents for that situation (``documented``), or one listed as invented in
``commands.sandbox.errors``.

DeleteAccount refuses, in this order: an unknown member (``EntityNotExists.Account``),
a deleted one (``AccountNotExist.DeleteAccount``), a cloud account
(``MemberTypeError.DeleteAccount``: "You can only delete accounts of the resource
account type"), one being deleted or checked, a delegated administrator
(``RemoveConfilctAccountAsDelegatedAdministator``), one with a payer account
(``NotSupport.HasPayerAccount``). DeregisterDelegatedAdministrator answers
``AccountNotRegistered`` for any account that is not registered for the service, an
unknown one included (the page documents no other code for it). While member deletion is
disabled, DeleteAccount answers ``NoLicense.ResourceDirectory``.

A deletion accepted for a member that still fails its check (items no API clears,
abandonable checks not abandoned) is ``Checking``, then ``CheckFailed`` with those items as
its FailReasonList: the DeleteAccount page documents no code refusing such a member up
front, and GetAccountDeletionStatus's public page shows a check failing after acceptance
(its example FailReasonList: "This account has a payer account...").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from commands.sandbox.errors import SandboxError, documented, invalid, invented, required
from commands.sandbox.world import (
    RESOURCE_ACCOUNT,
    CheckItem,
    DeletionCheck,
    MemberAccount,
    World,
)

# GetAccountDeletionStatus: "in RFC 3339 format with a UTC offset of +08:00".
_CST = timezone(timedelta(hours=8))

DELETE = "DeleteAccount"
DEREGISTER = "DeregisterDelegatedAdministrator"
# The code is spelled this way by the API ("Confilct", "Administator").
DELEGATED_ADMIN = "RemoveConfilctAccountAsDelegatedAdministator"


def _gone() -> SandboxError:
    # The reads' pages are not in our reference set: they borrow DeleteAccount's answer
    # for a member that does not exist.
    return documented(DELETE, "EntityNotExists.Account")


_SERVICE = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.aliyuncs\.com")


def _cst(moment: datetime) -> str:
    return moment.astimezone(_CST).isoformat(timespec="seconds")


def _account_id(params: Mapping[str, str], action: str | None = None) -> str:
    value = required(params, "AccountId", action)
    if not re.fullmatch(r"[0-9]{16}", value):
        # "InvalidParameter.AccountId ... Specify a 16-digit ID."
        raise invalid("AccountId", action=action)
    return value


def _member(world: World, params: Mapping[str, str], now: datetime) -> MemberAccount:
    account = world.accounts.get(_account_id(params))
    if account is None or account.deleted(now):
        raise _gone()
    return account


def _items(items: list[CheckItem]) -> list[dict[str, str]]:
    return [
        {"CheckId": i.check_id, "CheckName": i.check_name, "Description": i.description}
        for i in items
    ]


def _refusal(world: World, account: MemberAccount, now: datetime) -> str | None:
    """The DeleteAccount page's code for why ``account`` cannot be deleted now, if any."""
    if account.deleted(now):
        return "AccountNotExist.DeleteAccount"
    if account.type != RESOURCE_ACCOUNT:
        return "MemberTypeError.DeleteAccount"
    if account.deleting(now):
        return "NotSupportedOperation.DeletingAccount"
    if account.check is not None and now < account.check.completes:
        return "NotSupportedOperation.CheckingAccount"
    if world.delegations_of(account.account_id):
        return DELEGATED_ADMIN
    if any(b.check_id == "FINANCE_RELATION" for b in world.blockers(account.account_id)):
        return "NotSupport.HasPayerAccount"
    return None


def _abandoned(params: Mapping[str, str]) -> tuple[str, ...]:
    if not params.get("AbandonableCheckId"):
        return ()
    # The official SDK sends this array as one JSON string.
    try:
        parsed = json.loads(params["AbandonableCheckId"])
    except ValueError:
        raise invalid("AbandonableCheckId", action=DELETE) from None
    if not isinstance(parsed, list):
        raise invalid("AbandonableCheckId", action=DELETE)
    return tuple(str(item) for item in parsed)


def delete_account(world: World, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    account = world.accounts.get(_account_id(params, DELETE))
    if account is None:
        raise documented(DELETE, "EntityNotExists.Account")
    if not world.member_deletion_enabled:
        raise documented(DELETE, "NoLicense.ResourceDirectory")
    refusal = _refusal(world, account, now)
    if refusal is not None:
        raise documented(DELETE, refusal)
    world.start_deletion(account, now, _abandoned(params))
    return {"DeletionType": int(account.deletion_type)}


def check_account_delete(world: World, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    account = _member(world, params, now)
    if account.deleting(now):
        # DeleteAccount's code for the same state, borrowed by this read.
        raise documented(DELETE, "NotSupportedOperation.DeletingAccount")
    account.check = DeletionCheck(now, now + timedelta(seconds=world.check_seconds))
    return {}


def get_account_deletion_check_result(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    account = _member(world, params, now)
    if account.check is None:
        raise invented("EntityNotExists.CheckResult")
    if now < account.check.completes:
        info: dict[str, Any] = {"Status": "PreChecking"}
    else:
        blockers = world.blockers(account.account_id)
        info = {
            "Status": "PreCheckComplete",
            "AllowDelete": "false" if blockers else "true",
            "NotAllowReason": _items(blockers),
            "AbandonableChecks": _items(account.abandonable_checks),
        }
    return {"AccountDeletionCheckResultInfo": info}


def get_account_deletion_status(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    account = world.accounts.get(_account_id(params))
    if account is None or account.deletion is None:
        raise _gone()
    deletion = account.deletion
    ended = now >= deletion.completes
    if deletion.fails:
        state = "CheckFailed" if ended else "Checking"
    else:
        state = "Success" if ended else "Deleting"
    reasons = deletion.fail_reasons if ended else ()
    status: dict[str, Any] = {
        "AccountId": account.account_id,
        "CreateTime": _cst(deletion.started),
        "DeletionType": deletion.deletion_type,
        "FailReasonList": [{"Name": r.check_name, "Description": r.description} for r in reasons],
        "Status": state,
    }
    if account.deleted(now):
        status["DeletionTime"] = _cst(deletion.completes)
    return {"RdAccountDeletionStatus": status}


def get_account(world: World, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    account = _member(world, params, now)
    body: dict[str, Any] = {
        "AccountId": account.account_id,
        "AccountName": account.account_name,
        "DisplayName": account.display_name,
        "FolderId": account.folder_id,
        "JoinMethod": account.join_method,
        "JoinTime": account.join_time,
        "ModifyTime": account.join_time,
        "ResourceDirectoryId": world.resource_directory_id,
        "Status": "CreateSuccess",
        "Type": account.type,
    }
    if params.get("IncludeTags", "").lower() == "true":
        body["Tags"] = []
    return {"Account": body}


def deregister_delegated_administrator(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    account_id = _account_id(params, DEREGISTER)
    service = required(params, "ServicePrincipal", DEREGISTER)
    if not _SERVICE.fullmatch(service):
        raise documented(DEREGISTER, "InvalidParameter.ServicePrincipal")
    # A member that does not exist (or is deleted) is not registered for anything.
    matches = [d for d in world.delegations_of(account_id) if d.service_principal == service]
    if not matches:
        raise documented(DEREGISTER, "AccountNotRegistered")
    world.delegations.remove(matches[0])
    return {}


def _page(params: Mapping[str, str], default_size: int) -> tuple[int, int]:
    try:
        number = int(params.get("PageNumber") or 1)
        size = int(params.get("PageSize") or default_size)
    except ValueError:
        raise invalid("PageNumber") from None
    if number < 1 or not 1 <= size <= 100:
        raise invalid("PageSize")
    return number, size


def list_delegated_administrators(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    number, size = _page(params, 10)
    service = params.get("ServicePrincipal")
    rows = [d for d in world.delegations if service in (None, "", d.service_principal)]
    shown = rows[(number - 1) * size : number * size]
    return {
        "PageNumber": number,
        "PageSize": size,
        "TotalCount": len(rows),
        "Accounts": {
            "Account": [
                {
                    "AccountId": d.account_id,
                    "DisplayName": world.accounts[d.account_id].display_name
                    if d.account_id in world.accounts
                    else "",
                    "ServicePrincipal": d.service_principal,
                    "DelegationEnabledTime": d.enabled,
                    "JoinMethod": "created",
                }
                for d in shown
            ]
        },
    }


def list_delegated_services_for_account(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    account = _member(world, params, now)
    services = [
        {
            "ServicePrincipal": d.service_principal,
            "Status": "ENABLED",
            "DelegationEnabledTime": d.enabled,
        }
        for d in world.delegations_of(account.account_id)
    ]
    return {"DelegatedServices": {"DelegatedService": services}}


HANDLERS = {
    "DeleteAccount": delete_account,
    "CheckAccountDelete": check_account_delete,
    "GetAccountDeletionCheckResult": get_account_deletion_check_result,
    "GetAccountDeletionStatus": get_account_deletion_status,
    "GetAccount": get_account,
    "DeregisterDelegatedAdministrator": deregister_delegated_administrator,
    "ListDelegatedAdministrators": list_delegated_administrators,
    "ListDelegatedServicesForAccount": list_delegated_services_for_account,
}

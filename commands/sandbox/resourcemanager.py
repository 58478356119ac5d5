"""ResourceManager (2020-03-31) as the sandbox answers it.

Each handler takes the world, the flat parameters and ``now``, and returns the body
(the server adds ``RequestId``) or raises ``SandboxError`` with the code the API page
documents for that situation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from commands.sandbox.errors import SandboxError, invalid, required
from commands.sandbox.world import CheckItem, DeletionCheck, MemberAccount, World

# GetAccountDeletionStatus: "in RFC 3339 format with a UTC offset of +08:00".
_CST = timezone(timedelta(hours=8))

ACCOUNT_NOT_FOUND = (
    404,
    "EntityNotExists.Account",
    "This resource directory account does not exist.",
)
ACCOUNT_GONE = (
    409,
    "AccountNotExist.DeleteAccount",
    "The deletion failed. The account does not exist. Please confirm whether it has been deleted.",
)
DELETING = (
    409,
    "NotSupportedOperation.DeletingAccount",
    "The operation is not supported because the account is being deleted.",
)
# The code is spelled this way by the API ("Confilct", "Administator").
DELEGATED_ADMIN = (
    409,
    "RemoveConfilctAccountAsDelegatedAdministator",
    "You attempted to remove a member that is registered as a delegated administrator. "
    "To complete this operation, you must first deregister this account as a delegated "
    "administrator.",
)
HAS_PAYER = (
    409,
    "NotSupport.HasPayerAccount",
    "This account has a payer account. Please release the financial relationship of this "
    "account first.",
)
NOT_REGISTERED = (
    409,
    "AccountNotRegistered",
    "The specified account is not a delegated administrator for this service.",
)
BAD_SERVICE_PRINCIPAL = (
    409,
    "InvalidParameter.ServicePrincipal",
    "The specified ServicePrincipal is invalid.",
)
CHECKING = (
    409,
    "NotSupportedOperation.CheckingAccount",
    "The operation is not supported because the account is checking for deletion.",
)
NO_CHECK = (
    404,
    "EntityNotExists.CheckResult",
    "No deletion check was started for this account. Call CheckAccountDelete first.",
)

_SERVICE = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.aliyuncs\.com")


def _cst(moment: datetime) -> str:
    return moment.astimezone(_CST).isoformat(timespec="seconds")


def _account_id(params: Mapping[str, str]) -> str:
    value = required(params, "AccountId")
    if not re.fullmatch(r"[0-9]{16}", value):
        # "InvalidParameter.AccountId ... Specify a 16-digit ID."
        raise invalid("AccountId")
    return value


def _member(world: World, params: Mapping[str, str], now: datetime) -> MemberAccount:
    account = world.accounts.get(_account_id(params))
    if account is None or account.deleted(now):
        raise SandboxError.of(ACCOUNT_NOT_FOUND)
    return account


def _items(items: list[CheckItem]) -> list[dict[str, str]]:
    return [
        {"CheckId": i.check_id, "CheckName": i.check_name, "Description": i.description}
        for i in items
    ]


def delete_account(world: World, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    account = world.accounts.get(_account_id(params))
    if account is None:
        raise SandboxError.of(ACCOUNT_NOT_FOUND)
    if account.deleted(now):
        raise SandboxError.of(ACCOUNT_GONE)
    if account.deleting(now):
        raise SandboxError.of(DELETING)
    if account.check is not None and now < account.check.completes:
        raise SandboxError.of(CHECKING)
    if world.delegations_of(account.account_id):
        raise SandboxError.of(DELEGATED_ADMIN)
    if any(b.check_id == "FINANCE_RELATION" for b in world.blockers(account.account_id)):
        raise SandboxError.of(HAS_PAYER)
    abandoned: tuple[str, ...] = ()
    if params.get("AbandonableCheckId"):
        # The official SDK sends this array as one JSON string.
        try:
            parsed = json.loads(params["AbandonableCheckId"])
        except ValueError:
            raise invalid("AbandonableCheckId") from None
        if not isinstance(parsed, list):
            raise invalid("AbandonableCheckId")
        abandoned = tuple(str(item) for item in parsed)
    world.start_deletion(account, now, abandoned)
    return {"DeletionType": 0}


def check_account_delete(world: World, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    account = _member(world, params, now)
    if account.deleting(now):
        raise SandboxError.of(DELETING)
    account.check = DeletionCheck(now, now + timedelta(seconds=world.check_seconds))
    return {}


def get_account_deletion_check_result(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    account = _member(world, params, now)
    if account.check is None:
        raise SandboxError.of(NO_CHECK)
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
        raise SandboxError.of(ACCOUNT_NOT_FOUND)
    deletion = account.deletion
    status: dict[str, Any] = {
        "AccountId": account.account_id,
        "CreateTime": _cst(deletion.started),
        "DeletionType": "0",
        "FailReasonList": [],
        "Status": "Success" if account.deleted(now) else "Deleting",
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
        "ResourceDirectoryId": "rd-offboard",
        "Status": "CreateSuccess",
        "Type": account.type,
    }
    if params.get("IncludeTags", "").lower() == "true":
        body["Tags"] = []
    return {"Account": body}


def deregister_delegated_administrator(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    account = _member(world, params, now)
    service = required(params, "ServicePrincipal")
    if not _SERVICE.fullmatch(service):
        raise SandboxError.of(BAD_SERVICE_PRINCIPAL)
    matches = [
        d for d in world.delegations_of(account.account_id) if d.service_principal == service
    ]
    if not matches:
        raise SandboxError.of(NOT_REGISTERED)
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

"""BssOpenApi (2017-12-14) as the sandbox answers it.

Answers carry ``Code``, ``Message``, ``Success`` and ``Data`` as the pages show
(``"Code": "200"``, ``"Success": true``); errors carry ``"Success": false``. The pages
document no error codes, so every code here is invented (listed in
``commands.sandbox.errors``). The required ``RequestId`` must be given, but nothing is
replayed by it: the pages say only that it "is used to mark a request and troubleshoot
issues", not that a repeated RequestId is answered once, so the sandbox promises no
such thing either (each call is applied as it comes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from commands.sandbox.errors import SandboxError, invented
from commands.sandbox.world import FinanceRelation, World

PERMISSIONS = frozenset(
    {
        "SYNCHRONIZE_FINANCE_IDENTITY",
        "SYNCHRONIZE_FINANCE_DISCOUNT_POLICY_TO_TARGET",
        "FORBID_WITHDRAW_CASH",
        "FORBID_MANAGE_INVOICE",
        "CHECK_FINANCE_INFO",
        "MANAGE_TARGET_INVOICE",
        "CHECK_TARGET_CONSUMPTION",
    }
)
HOST_ID = "business.aliyuncs.com"


def _missing(name: str) -> SandboxError:
    return invented(
        "MissingParameter",
        f"The input parameter {name} that is mandatory for processing this request is not "
        "supplied.",
    )


def _invalid(name: str) -> SandboxError:
    return invented("InvalidParameter", f"The parameter {name} is invalid.")


def _int(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not re.fullmatch(r"[0-9]{1,19}", str(value)):
        raise _invalid(name)
    return int(str(value))


def _ok(data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Code": "200", "Message": "Successful!", "Success": True, "Data": data or {}}


def _find_relation(world: World, params: Mapping[str, str], *, need_type: bool) -> FinanceRelation:
    relation_type = params.get("RelationType")
    if relation_type not in (None, "", "enterprise_group"):
        raise _invalid("RelationType")
    relation_id = _int(params, "RelationId")
    parent, child = _int(params, "ParentUserId"), _int(params, "ChildUserId")
    if relation_id is not None:
        relation = world.relations.get(relation_id)
    elif parent is not None and child is not None and (relation_type or not need_type):
        relation = next(
            (
                r
                for r in world.relations.values()
                if (r.parent_user_id, r.child_user_id) == (parent, child) and r.state == "RELATED"
            ),
            None,
        )
    else:
        # "You must specify either the RelationId parameter, or the ParentUserId,
        # ChildUserId, and RelationType parameters."
        raise _missing("RelationId")
    if relation is None or relation.state != "RELATED":
        raise invented("RelationNotExist")
    return relation


def _request_id(params: Mapping[str, str]) -> None:
    # "RequestId ... Required: Yes" on both pages.
    if not params.get("RequestId"):
        raise _missing("RequestId")


def relieve_account_relation(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    _request_id(params)
    relation = _find_relation(world, params, need_type=True)
    relation.state = "CANCELLED"
    return _ok({"HostId": HOST_ID})


def modify_account_relation(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    operation = params.get("RelationOperation")
    if not operation:
        raise _missing("RelationOperation")
    if operation not in ("ADD", "DELETE"):
        raise _invalid("RelationOperation")
    # The SDK flattens the array: PermissionCodes.1, PermissionCodes.2, ...
    codes = [v for k, v in sorted(params.items()) if re.fullmatch(r"PermissionCodes\.[0-9]+", k)]
    if any(code not in PERMISSIONS for code in codes):
        raise _invalid("PermissionCodes")
    _request_id(params)
    relation = _find_relation(world, params, need_type=False)
    if operation == "ADD":
        relation.permissions |= set(codes)
    else:
        relation.permissions -= set(codes)
    return _ok({"HostId": HOST_ID})


def query_relation_list(world: World, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    uid = _int(params, "UserId")
    if uid is None:
        raise _missing("UserId")
    number = _int(params, "PageNum") or 1
    size = _int(params, "PageSize") or 20
    statuses = {v for k, v in params.items() if re.fullmatch(r"StatusList\.[0-9]+", k)}
    # "If you do not specify this parameter, only relationships that are in effect".
    wanted = statuses or {"RELATED"}
    rows = [
        r
        for r in world.relations.values()
        if uid in (r.parent_user_id, r.child_user_id) and r.state in wanted
    ]
    shown = rows[(number - 1) * size : number * size]
    infos = []
    for r in shown:
        other, role = (
            (r.child_user_id, "MEMBER") if r.parent_user_id == uid else (r.parent_user_id, "MASTER")
        )
        infos.append(
            {
                "AccountId": other,
                "AccountName": f"{other}@example-rd",
                "AccountNickName": "",
                "AccountType": role,
                "RelationId": r.relation_id,
                "RelationType": r.kind,
                "State": r.state,
                "SetupTime": r.setup_time,
                "StartTime": r.setup_time,
                "EndTime": "",
            }
        )
    return _ok(
        {
            "PageNum": number,
            "PageSize": size,
            "TotalCount": len(rows),
            "FinancialRelationInfoList": infos,
        }
    )


HANDLERS = {
    "RelieveAccountRelation": relieve_account_relation,
    "ModifyAccountRelation": modify_account_relation,
    "QueryRelationList": query_relation_list,
}

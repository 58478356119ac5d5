"""Constrained parameter types shared by the operation specs.

Every validator raises ``ValueError`` with a short sentence for people (it ends up
next to the field in the Slack modal), never echoing the offending value back: a
value may be hostile text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator


def _matching(pattern: str, message: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(message)
        return value

    return check


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _int_matching(pattern: str, message: str) -> Callable[[Any], int]:
    """An int given as int or digit string (never a bool) whose digits match ``pattern``."""
    compiled = re.compile(pattern)

    def check(value: Any) -> int:
        text = str(value).strip() if isinstance(value, int | str) else ""
        if isinstance(value, bool) or not compiled.fullmatch(text):
            raise ValueError(message)
        return int(text)

    return check


def split_list(value: Any) -> Any:
    """A list parameter from a modal or the CLI: a JSON array or comma-separated text."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                raise ValueError("Must be a JSON array or comma-separated values.") from None
            if not isinstance(parsed, list):
                raise ValueError("Must be a JSON array or comma-separated values.")
            return parsed
        return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]
    if isinstance(value, tuple):
        return list(value)
    return value


# ResourceManager: "InvalidParameter.AccountId ... Specify a 16-digit ID."
AccountId = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[0-9]{16}", "Must be a 16-digit account ID, like 1699461245510000.")
    ),
]

# BssOpenApi UIDs are integers on the wire (ParentUserId, ChildUserId, UserId).
# Accept ``1738376485192612`` as int or digit string; refuse anything else.
Uid = Annotated[
    int,
    BeforeValidator(
        _int_matching(r"[1-9][0-9]{15}", "Must be a 16-digit Alibaba Cloud account ID (UID).")
    ),
]

PositiveInt = Annotated[
    int, BeforeValidator(_int_matching(r"[1-9][0-9]{0,18}", "Must be a positive whole number."))
]

# A trusted service identifier is a service domain, e.g. cloudfw.aliyuncs.com.
ServicePrincipal = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(
            r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
            r"\.aliyuncs\.com",
            "Must be a trusted service identifier (a service domain like cloudfw.aliyuncs.com).",
        )
    ),
]

# "The ID of the check item", e.g. NON_SP_cs.
CheckId = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}", "Must be a check item ID like NON_SP_cs.")
    ),
]

RelationType = Literal["enterprise_group"]
RelationOperation = Literal["ADD", "DELETE"]

# ModifyAccountRelation: the seven permissions the page lists.
PermissionCode = Literal[
    "SYNCHRONIZE_FINANCE_IDENTITY",
    "SYNCHRONIZE_FINANCE_DISCOUNT_POLICY_TO_TARGET",
    "FORBID_WITHDRAW_CASH",
    "FORBID_MANAGE_INVOICE",
    "CHECK_FINANCE_INFO",
    "MANAGE_TARGET_INVOICE",
    "CHECK_TARGET_CONSUMPTION",
]

RoleCode = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(_matching(r"[a-z][a-z_]{0,63}", "Must be a role code like trusteeship.")),
]

RelationStatus = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(_matching(r"[A-Z][A-Z_]{0,63}", "Must be a relationship status like RELATED.")),
]

# BssOpenApi RequestId: "The unique ID of the request". We generate UUIDs; accept ids alike.
BssRequestId = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", "Must be letters, digits, - or _ (max 64).")
    ),
]

DisplayName = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[^\x00-\x1f\x7f]{1,64}", "Must be 1 to 64 characters, no control characters.")
    ),
]

# Bastionhost: "bastionhost-cn-st220aw****".
InstanceId = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(
            r"bastionhost-[a-z0-9]+(?:-[a-z0-9]+)*",
            "Must be a bastion host instance ID like bastionhost-cn-st220aw0001.",
        )
    ),
]

RegionId = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[a-z]{2,}(?:-[a-z0-9]+){1,3}", "Must be a region ID like cn-hangzhou.")
    ),
]

# Bastionhost user, host and host account ids are decimal digit strings ("1").
_NUMERIC_ID = r"[1-9][0-9]{0,18}"


def is_numeric_id(value: Any) -> bool:
    """A Bastionhost id as given (text or int, never a bool), no leading zero."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return False
    return re.fullmatch(_NUMERIC_ID, str(value)) is not None


NumericId = Annotated[
    str,
    BeforeValidator(lambda v: str(v).strip() if isinstance(v, int | str) else v),
    AfterValidator(_matching(_NUMERIC_ID, "Must be a numeric ID like 1.")),
]

HostAccountName = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[^\x00-\x1f\x7f]{1,128}", "Must be 1 to 128 characters, no control characters.")
    ),
]


CheckIdList = Annotated[list[CheckId], BeforeValidator(split_list)]
PermissionCodeList = Annotated[list[PermissionCode], BeforeValidator(split_list)]
RoleCodeList = Annotated[list[RoleCode], BeforeValidator(split_list)]
RelationStatusList = Annotated[list[RelationStatus], BeforeValidator(split_list)]

"""Constrained parameter types shared by the operation specs.

Every validator raises ``ValueError`` with a short sentence for people (it ends up
next to the field in the Slack modal), never echoing the offending value back: a
value may be hostile text.

Each rule stricter than its API page says where it comes from in a comment: the page,
the official SDK, or an "Offboard limit" with the reason. Every list is a ``Distinct``
list: bounded, and refused when an item repeats (a repeated item is either a mistake
or a way to make the approval card longer than what it changes).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
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


def _strip_spaces(value: Any) -> Any:
    # Free text: only plain spaces are trimmed. ``str.strip`` would also drop line
    # separators and control characters at the ends, which are refused instead.
    return value.strip(" ") if isinstance(value, str) else value


def _int_matching(pattern: str, message: str) -> Callable[[Any], int]:
    """An int given as int or digit string (never a bool) whose digits match ``pattern``."""
    compiled = re.compile(pattern)

    def check(value: Any) -> int:
        text = str(value).strip() if isinstance(value, int | str) else ""
        if isinstance(value, bool) or not compiled.fullmatch(text):
            raise ValueError(message)
        return int(text)

    return check


@dataclass(frozen=True)
class Distinct:
    """A list's bound and its duplicate rule; ``source`` names where the bound comes from."""

    max_items: int
    source: str

    def __call__(self, values: list[Any]) -> list[Any]:
        if len(values) > self.max_items:
            raise ValueError(f"At most {self.max_items} items.")
        seen: dict[Any, int] = {}
        for index, value in enumerate(values, start=1):
            if value in seen:
                raise ValueError(f"Item {index} repeats item {seen[value]}.")
            seen[value] = index
        return values


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
# Offboard limit: the pages say only "integer"; an Alibaba Cloud account ID has 16 digits
# (the DeleteAccount page: "Specify a 16-digit ID"), as every example on the pages.
Uid = Annotated[
    int,
    BeforeValidator(
        _int_matching(r"[1-9][0-9]{15}", "Must be a 16-digit Alibaba Cloud account ID (UID).")
    ),
]

# Offboard limit: a signed 64-bit integer at most. The pages say only "integer"; a larger
# number cannot be an id or a page the APIs return, and the gateway would have to wrap
# or refuse it after the approvals.
INT64_MAX = 2**63 - 1


def _positive_int64(value: Any) -> int:
    number = _int_matching(r"[1-9][0-9]{0,18}", "Must be a positive whole number.")(value)
    if number > INT64_MAX:
        raise ValueError(f"Must be a positive whole number up to {INT64_MAX}.")
    return number


PositiveInt = Annotated[int, BeforeValidator(_positive_int64)]

# "The identifier of the trusted service", e.g. cloudfw.aliyuncs.com. Offboard limit: a
# service domain under aliyuncs.com, the form of the page's example, so a typo is caught
# at the form instead of by InvalidParameter.ServicePrincipal after the approvals.
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

# "The ID of a check item that you can choose to ignore", e.g. NON_SP_cs. Offboard limit:
# an identifier of at most 128 letters, digits and ``_.:-``, shown in full on the card.
CheckId = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}", "Must be a check item ID like NON_SP_cs.")
    ),
]

# "Currently, only enterprise_group is supported." (both BssOpenApi pages)
RelationType = Literal["enterprise_group"]
# "Valid values: ADD ... DELETE" (the ModifyAccountRelation page)
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

# Never sent: "Modifying roles is not supported." (the ModifyAccountRelation page). The
# shape is the page's example, trusteeship.
RoleCode = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(_matching(r"[a-z][a-z_]{0,63}", "Must be a role code like trusteeship.")),
]

# QueryRelationList (a read; its page is not in our reference set): statuses such as
# RELATED. Offboard limit: upper-case words, at most 64 characters.
RelationStatus = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(_matching(r"[A-Z][A-Z_]{0,63}", "Must be a relationship status like RELATED.")),
]

# BssOpenApi RequestId: "The unique ID of the request". Never typed by people: Offboard
# sets it (``prepare_params``: a uuid5 of our request id); this checks our own value.
BssRequestId = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", "Must be letters, digits, - or _ (max 64).")
    ),
]

# Characters that reorder or break the text around them (bidi embeddings, overrides,
# isolates and marks; the Arabic letter mark) and the line and paragraph separators:
# in a display name they could make the card show something other than what is signed.
_INVISIBLE = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c", "\u2028", "\u2029"]
)


def _visible_text(limit: int) -> Callable[[str], str]:
    message = (
        f"Must be 1 to {limit} characters, without control, bidirectional or line "
        "separator characters."
    )

    def check(value: str) -> str:
        if not 1 <= len(value) <= limit or any(
            char in _INVISIBLE or unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value
        ):
            raise ValueError(message)
        return value

    return check


# ChildNick, "The display name". Offboard limit: 64 characters (the page states none), so
# the name is shown in full on the card; no control or bidi characters (see _INVISIBLE).
DisplayName = Annotated[str, BeforeValidator(_strip_spaces), AfterValidator(_visible_text(64))]

# Bastionhost: "bastionhost-cn-st220aw****". Offboard limit: the form of the page's
# example (and of DescribeInstances' ids), so a typo is caught at the form.
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

# Offboard limit: the form of region IDs ("cn-hangzhou"): the value picks the endpoint's
# host name (commands.endpoints), so nothing else may reach it.
RegionId = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(
        _matching(r"[a-z]{2,}(?:-[a-z0-9]+){1,3}", "Must be a region ID like cn-hangzhou.")
    ),
]

# Bastionhost user, host and host account ids are decimal digit strings ("1"). Offboard
# limit: the pages type them "string"; every example and ListUsers/ListHosts id is
# decimal digits without a leading zero, at most 19 (an int64's width).
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

# ListHostAccountsForUser (a read): a host account name. Offboard limit: 128 visible
# characters.
HostAccountName = Annotated[str, BeforeValidator(_strip_spaces), AfterValidator(_visible_text(128))]


# Offboard limit: 20 check IDs of at most 128 characters fit in full in one card section
# (Slack's 3000 characters); the page gives no bound.
CheckIdList = Annotated[
    list[CheckId],
    BeforeValidator(split_list),
    AfterValidator(Distinct(20, "Offboard limit: every ID shown in full on the card")),
]
# The page lists seven permissions; with no repeats, seven at most.
PermissionCodeList = Annotated[
    list[PermissionCode],
    BeforeValidator(split_list),
    AfterValidator(Distinct(7, "the ModifyAccountRelation page's seven values")),
]
RoleCodeList = Annotated[
    list[RoleCode],
    BeforeValidator(split_list),
    AfterValidator(Distinct(10, "Offboard limit: never sent (roles cannot be modified)")),
]
RelationStatusList = Annotated[
    list[RelationStatus],
    BeforeValidator(split_list),
    AfterValidator(Distinct(10, "Offboard limit: more than the statuses a relation has")),
]

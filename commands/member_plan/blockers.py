"""The deletion check's ``NotAllowReason`` items: which a plan step clears, which need a
person, and who.

The check item IDs below are the sandbox's (``commands.sandbox.seed``): the pages we hold
do not list the IDs Alibaba Cloud uses. So an item is counted as cleared by the plan only
when its ID is one we know; every other item is shown as a blocker for a person, with the
check's own name and description. That errs on the side of telling people: the fresh
check before gate 2 says what is really left.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from commands.member_plan.model import CheckItem

# Check items a step of the reversible phase clears, with the step's action.
PLAN_CLEARS: Mapping[str, str] = MappingProxyType(
    {
        "DELEGATED_ADMINISTRATOR": "DeregisterDelegatedAdministrator",
        "FINANCE_RELATION": "RelieveAccountRelation",
    }
)

# Check items no API clears: who must act, and what they do.
_WHO: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "UNPAID_BILLS": (
            "the member's finance owner",
            "settle the member's outstanding bills in Expenses and Costs",
        ),
        "DOMAIN": (
            "the owner of the member's domain names",
            "transfer the domain names to another account or let them go",
        ),
        "ICP_FILING": (
            "the member's ICP filing contact",
            "cancel or transfer the ICP filings of the member's sites",
        ),
    }
)
_ANYONE = ("the member account's owner", "resolve it as the check describes")


@dataclass(frozen=True)
class Blocker:
    """A check item that keeps the member from being deleted until a person acts."""

    item: CheckItem
    who: str
    what: str

    def __str__(self) -> str:
        return (
            f"{self.item.name or self.item.check_id}: {self.item.description} "
            f"({self.item.check_id}): {self.who} must {self.what}, then re-check."
        )


def cleared_by_plan(item: CheckItem) -> bool:
    """Whether a step of the reversible phase clears ``item``."""
    return item.check_id in PLAN_CLEARS


def manual(items: tuple[CheckItem, ...]) -> tuple[Blocker, ...]:
    """The items of ``NotAllowReason`` that no step clears, each with who must act."""
    return tuple(
        Blocker(item, *_WHO.get(item.check_id, _ANYONE))
        for item in items
        if not cleared_by_plan(item)
    )

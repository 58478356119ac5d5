"""Which answers mean that a step's effect is already in place: "already done".

A plan step may be sent again (a retry after a failure, a restart that reconciles). Its
second send meets the cloud in the state the first one left, and some refusals then say
"nothing left to do" rather than "failed". Which ones is catalog knowledge, declared here
per operation; ``bot/`` asks with the spec in hand and never names a code or an action.

    codes       a refusal with one of these Codes is already done, by itself
    item_codes  a per-item Code inside a successful answer (Bastionhost's ``Results``)
                that says the item is already in the wanted state
    by_read     a refusal no page documents counts as already done only when the step's
                verification read then shows the effect in place (``member_plan.verify``)

The declarations and their evidence:

- DeregisterDelegatedAdministrator ``AccountNotRegistered``: its page, "The specified
  account is not a delegated administrator for this service."
- DeleteAccount ``AccountNotExist.DeleteAccount``: its page, "The deletion failed. The
  account does not exist. Please confirm whether it has been deleted."
- DetachHostAccountsFromUser ``OBJECT_NOT_FOUND`` per host or host account: its page,
  "The specified object on which you want to perform the operation does not exist": a
  grant that is not there is one nobody can use.
- RelieveAccountRelation: its page documents no error codes ("See Error Codes for a
  complete list") and we found no public page naming the answer for a relation already
  relieved. The sandbox answers ``RelationNotExist`` (invented, listed in
  ``commands.sandbox.errors``). Trusting an undocumented Code would let a real failure
  pass as done, so the evidence is the cloud's state instead: ``by_read``, QueryRelationList
  no longer showing the RelationId in force.
- RegisterDelegatedAdministrator ``AccountAlreadyRegistered`` and AttachHostAccountsToUser
  ``OBJECT_AlREADY_EXISTS`` (per item): the rollbacks' own retries. The first is named by
  Resource Manager's public error-code list (its page is not in our set), the second by
  the official SDK's ``Results`` docstring.

Kept in one table (not yet in each spec's ``quirks.extra``) because the spec modules'
quirks are being reshaped on another branch; ``already_done_of(spec)`` is the one door.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = ["ALREADY_DONE", "AlreadyDone", "already_done_of", "code_means_done", "item_is_done"]


@dataclass(frozen=True)
class AlreadyDone:
    """How one operation's second send can say its effect is already in place."""

    codes: frozenset[str] = frozenset()
    item_codes: frozenset[str] = frozenset()
    by_read: bool = False


ALREADY_DONE: Mapping[str, AlreadyDone] = MappingProxyType(
    {
        "DeregisterDelegatedAdministrator": AlreadyDone(codes=frozenset({"AccountNotRegistered"})),
        "DeleteAccount": AlreadyDone(codes=frozenset({"AccountNotExist.DeleteAccount"})),
        "DetachHostAccountsFromUser": AlreadyDone(item_codes=frozenset({"OBJECT_NOT_FOUND"})),
        "RelieveAccountRelation": AlreadyDone(by_read=True),
        "RegisterDelegatedAdministrator": AlreadyDone(
            codes=frozenset({"AccountAlreadyRegistered"})
        ),
        "AttachHostAccountsToUser": AlreadyDone(item_codes=frozenset({"OBJECT_AlREADY_EXISTS"})),
    }
)

_NOTHING = AlreadyDone()


def already_done_of(spec: Any) -> AlreadyDone:
    """The declaration of ``spec`` (an ``OperationSpec`` or anything with ``action``)."""
    return ALREADY_DONE.get(str(getattr(spec, "action", spec)), _NOTHING)


def code_means_done(spec: Any, code: str | None) -> bool:
    """Whether a refusal with ``code`` means ``spec``'s effect is already in place."""
    return code is not None and code in already_done_of(spec).codes


def item_is_done(spec: Any, code: str | None) -> bool:
    """Whether a per-item ``code`` of a successful answer counts as done: OK, or a Code
    this operation declares already done."""
    return code == "OK" or (code is not None and code in already_done_of(spec).item_codes)

"""Which answers mean that a step's effect is already in place: "already done".

A plan step may be sent again (a retry after a failure, a restart that reconciles). Its
second send meets the cloud in the state the first one left, and some refusals then say
"nothing left to do" rather than "failed". Which ones is each spec's
``quirks.already_done`` (:class:`~commands.catalog.quirks.AlreadyDone`, set in the
product's ``<product>_quirks.py``); these functions are the door ``member_plan`` asks
with the spec or its action in hand.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from commands.catalog.base import OperationSpec
from commands.catalog.quirks import AlreadyDone
from commands.catalog.registry import CATALOG

__all__ = ["ALREADY_DONE", "AlreadyDone", "already_done_of", "code_means_done", "item_is_done"]

_NOTHING = AlreadyDone()

#: Every operation that declares an "already done", by action (read from the specs).
ALREADY_DONE: Mapping[str, AlreadyDone] = MappingProxyType(
    {
        action: spec.quirks.already_done
        for action, spec in CATALOG.items()
        if spec.quirks.already_done != _NOTHING
    }
)


def already_done_of(spec: OperationSpec | str) -> AlreadyDone:
    """The declaration of ``spec`` (or of the default catalog's spec of that action)."""
    if isinstance(spec, OperationSpec):
        return spec.quirks.already_done
    found = CATALOG.get(spec)
    return found.quirks.already_done if found is not None else _NOTHING


def code_means_done(spec: OperationSpec | str, code: str | None) -> bool:
    """Whether a refusal with ``code`` means ``spec``'s effect is already in place."""
    return code is not None and code in already_done_of(spec).codes


def item_is_done(spec: OperationSpec | str, code: str | None) -> bool:
    """Whether a per-item ``code`` of a successful answer counts as done: OK, or a Code
    this operation declares already done."""
    return code == "OK" or (code is not None and code in already_done_of(spec).item_codes)

"""ResourceManager's GetPayerForAccount and RegisterDelegatedAdministrator in the sandbox.

Neither page is in our reference set (the catalog's specs follow the official SDK). What
the sandbox answers, and why:

- GetPayerForAccount: the parent of the member's finance relation in force, else the
  member itself (the SDK does not say what a self-paying member answers; Offboard reads
  "itself" as no relation). A member that does not exist answers DeleteAccount's page's
  ``EntityNotExists.Account``, as the other ResourceManager reads here do.
- RegisterDelegatedAdministrator: a member that does not exist answers
  ``EntityNotExists.Account`` (borrowed as above); a malformed service,
  DeregisterDelegatedAdministrator's page's ``InvalidParameter.ServicePrincipal``; a
  member already registered for the service, ``AccountAlreadyRegistered`` (listed in
  ``commands.sandbox.errors``: Resource Manager's public error-code list names it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from commands.sandbox.errors import documented, invented, required
from commands.sandbox.resourcemanager import (
    _SERVICE,
    DEREGISTER,
    _account_id,
    _member,
)
from commands.sandbox.world import Delegation, World

REGISTER = "RegisterDelegatedAdministrator"


def get_payer_for_account(world: World, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    account = _member(world, params, now)
    uid = int(account.account_id)
    payer = next(
        (r.parent_user_id for r in world.relations_of(uid) if r.child_user_id == uid), None
    )
    if payer is None:
        return {"PayerAccountId": account.account_id, "PayerAccountName": account.account_name}
    named = world.accounts.get(str(payer))
    name = named.account_name if named else "management@example-rd"
    return {"PayerAccountId": str(payer), "PayerAccountName": name}


def register_delegated_administrator(
    world: World, params: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    account_id = _account_id(params, REGISTER)
    service = required(params, "ServicePrincipal", REGISTER)
    if not _SERVICE.fullmatch(service):
        raise documented(DEREGISTER, "InvalidParameter.ServicePrincipal")
    account = _member(world, params, now)
    if any(d.service_principal == service for d in world.delegations_of(account_id)):
        raise invented("AccountAlreadyRegistered")
    world.delegations.append(Delegation(account.account_id, service, now.isoformat()))
    return {}


HANDLERS = {
    "GetPayerForAccount": get_payer_for_account,
    REGISTER: register_delegated_administrator,
}

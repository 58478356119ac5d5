"""The least-privilege RAM policy the bot needs, generated from the catalog.

Every operation the catalog can call, as ``<RAM code>:<Action>``, and nothing else::

    python -m commands.catalog.ram_policy > docs/ram-policy.json

``tests/commands/test_ram_policy.py`` fails when the committed document differs from what
the catalog generates, so a new operation cannot ship without its permission.

The RAM code of each product, from its API pages' "RAM authorization" tables:

- ResourceManager: ``resourcemanager:`` (e.g. ``resourcemanager:DeregisterDelegatedAdministrator``).
- BssOpenApi: the page "RAM authorization" of Expenses and Costs gives its RAM codes as
  "bss, bssapi, efc"; the finance-relation operations are ``bssapi:`` (QueryRelationList's
  page: ``bssapi:QueryRelationList``; ModifyAccountRelation's Chinese page:
  ``bssapi:ModifyAccountRelation``). RelieveAccountRelation's page discloses none; it is
  assumed to be ``bssapi:`` like its siblings.
- Bastionhost: ``yundun-bastionhost:`` (e.g. ``yundun-bastionhost:DetachHostAccountsFromUser``).
- Sts: ``sts:``. GetCallerIdentity's page says it needs no authorization; it is listed
  anyway so the document names every call the bot makes.

No operation is narrowed to resources here: member accounts, relations and bastion host
instances are only known when a request is made.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from commands.catalog.registry import CATALOG
from commands.endpoints import Product

RAM_CODES: dict[Product, str] = {
    Product.RESOURCE_MANAGER: "resourcemanager",
    Product.BSS: "bssapi",
    Product.BASTIONHOST: "yundun-bastionhost",
    Product.STS: "sts",
}


def ram_actions() -> list[str]:
    """``<RAM code>:<Action>`` for every catalog operation, sorted."""
    return sorted(f"{RAM_CODES[spec.product]}:{spec.action}" for spec in CATALOG.values())


def ram_policy() -> dict[str, Any]:
    """The policy document: one Allow statement per product."""
    statements = []
    for product in Product:
        prefix = f"{RAM_CODES[product]}:"
        actions = [action for action in ram_actions() if action.startswith(prefix)]
        if actions:
            statements.append({"Effect": "Allow", "Action": actions, "Resource": "*"})
    return {"Version": "1", "Statement": statements}


def render() -> str:
    """The document as it is committed (``docs/ram-policy.json``)."""
    return json.dumps(ram_policy(), indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())

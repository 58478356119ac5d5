"""docs/ram-policy.json is exactly what the catalog needs: every action, nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from commands.catalog import CATALOG
from commands.catalog.ram_policy import RAM_CODES, ram_policy, render
from commands.endpoints import Product

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "ram-policy.json"


def allowed(policy: dict[str, object]) -> list[str]:
    statements = policy["Statement"]
    assert isinstance(statements, list)
    return [action for s in statements for action in s["Action"]]


def test_the_committed_document_is_what_the_catalog_generates() -> None:
    # Fails when an operation is added without `python -m commands.catalog.ram_policy
    # > docs/ram-policy.json`.
    assert DOCUMENT.read_text() == render()


def test_every_catalog_action_is_allowed_once_and_nothing_else() -> None:
    policy = json.loads(DOCUMENT.read_text())
    actions = allowed(policy)
    assert len(actions) == len(set(actions)) == len(CATALOG)
    assert {a.split(":", 1)[1] for a in actions} == set(CATALOG)
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    assert policy["Version"] == "1"
    assert not any("*" in action for action in actions)


def test_each_action_carries_its_products_ram_code() -> None:
    codes = {f"{RAM_CODES[spec.product]}:{spec.action}" for spec in CATALOG.values()}
    assert set(allowed(ram_policy())) == codes
    assert "resourcemanager:DeleteAccount" in codes
    assert "bssapi:RelieveAccountRelation" in codes
    assert "yundun-bastionhost:DetachHostAccountsFromUser" in codes
    assert "sts:GetCallerIdentity" in codes
    assert set(RAM_CODES) == set(Product)


def test_the_module_prints_the_document() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "commands.catalog.ram_policy"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == DOCUMENT.read_text()

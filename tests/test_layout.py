"""The import rules of docs/ARCHITECTURE.md, checked on the source rather than trusted.

- ``commands`` and ``storage`` import neither ``bot`` nor each other;
- ``bot.approvals`` and ``bot.execution`` import nothing of Slack (``slack_bolt``,
  ``slack_sdk``, ``bot.slack``, ``bot.devstack``): the rules and the worker run without it;
- product code never imports ``tests``.

Imports are read with ``ast`` from every module, including ones inside functions, so a
lazy import cannot slip past.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "commands": ("bot", "storage", "tests"),
    "storage": ("bot", "commands", "tests"),
    "bot/approvals": ("slack_bolt", "slack_sdk", "bot.slack", "bot.devstack", "tests"),
    "bot/execution": ("slack_bolt", "slack_sdk", "bot.slack", "bot.devstack", "tests"),
    "bot": ("tests",),
}


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize(("package", "forbidden"), sorted(FORBIDDEN.items()))
def test_imports_flow_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    assert violations(package, forbidden) == []


def test_the_rule_would_notice_a_violation(tmp_path: Path) -> None:
    # The checker itself must be able to fail: a module that breaks a rule is reported.
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from slack_sdk import WebClient\n")
    assert [m for _, m in imported_modules(module)] == ["slack_sdk"]

"""One vocabulary: states are spelled by storage.states' enums, never as string literals.

A literal ``"APPROVED"`` compares equal to ``Status.APPROVED`` (they are StrEnums), so a
typo or a renamed state would pass type checks and fail only at run time. This test
reads every module of ``bot`` and ``storage`` with ``ast`` and refuses a string constant
that spells a ``Status``, ``Phase``, ``PlanState`` or ``StepState`` value. Migrations are
history (they must keep the values they were written with) and ``storage/states.py`` is
where the values live.
"""

from __future__ import annotations

import ast
from pathlib import Path

from storage.states import Phase, PlanState, Status, StepState

ROOT = Path(__file__).resolve().parents[1]

SPELLED = {str(s) for s in (*Status, *Phase, *PlanState, *StepState)}

# Each exception with its reason; keep it short.
ALLOWED: dict[str, str] = {
    "storage/states.py": "where the values are defined",
    # A settling read's verdict is SUCCEEDED | FAILED | UNKNOWN | RUNNING (not a Status:
    # RUNNING is no state of a request); it moves onto the catalog specs (issue 9, item 2).
    "bot/execution/reconcile.py": "verdicts of a settling read, moving to the catalog",
}


def literals(path: Path) -> list[tuple[int, str]]:
    """String constants in ``path`` that spell a state, with their line numbers."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if node.value in SPELLED
    ]


def spelled_states() -> list[str]:
    found = []
    for package in ("bot", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in ALLOWED or name.startswith("storage/migrations/"):
                continue
            found.extend(f"{name}:{line} spells {value!r}" for line, value in literals(path))
    return found


def test_no_module_spells_a_state_as_a_string() -> None:
    assert spelled_states() == []


def test_the_check_would_notice_a_spelled_state(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text('def done(status):\n    return status == "SUCCEEDED"\n')
    assert literals(module) == [(2, "SUCCEEDED")]


def test_every_allowed_module_exists() -> None:
    # A stale entry would let a new module of the same name through unnoticed.
    assert [name for name in ALLOWED if not (ROOT / name).exists()] == []

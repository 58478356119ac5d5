"""bot/ holds no operation name: what is specific to one operation is on its spec.

Every ``.py`` under ``bot/`` is parsed, and every string literal (f-string parts
included) and every identifier in its code is searched for each action of the catalog.
Docstrings and comments may name operations to explain; code may not, so no branch on an
operation's name can come back. The few places allowed below say why.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from commands.catalog import CATALOG

BOT = Path(__file__).resolve().parents[2] / "bot"

# (file under bot/, action): why the code may spell it.
ALLOWED: dict[tuple[str, str], str] = {
    # The scripted demo types commands as a person types them in Slack.
    ("devstack/demo.py", "DeleteAccount"): "the demo's story",
    ("devstack/demo.py", "DeregisterDelegatedAdministrator"): "the demo's story",
    ("devstack/demo.py", "RelieveAccountRelation"): "the demo's story",
    # The help text shows one command as people would type it.
    ("slack/views/guide.py", "DeleteAccount"): "an example in the help text",
    # The doctor explains the cloud's CallerIdentityError.DeleteAccount to an operator.
    ("doctor/cloud_checks.py", "DeleteAccount"): "the doctor's explanation of a refusal",
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def code_words(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal and identifier outside docstrings."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value
        elif isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            yield node.lineno, node.name


def named(source: str, actions: list[str]) -> list[tuple[int, str]]:
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, actions)) + r")\b")
    return [(line, m) for line, text in code_words(source) for m in pattern.findall(text)]


def test_bot_code_names_no_operation() -> None:
    actions = sorted(CATALOG)
    found = []
    for path in sorted(BOT.rglob("*.py")):
        where = path.relative_to(BOT).as_posix()
        for line, action in named(path.read_text(encoding="utf-8"), actions):
            if (where, action) not in ALLOWED:
                found.append(f"bot/{where}:{line} names {action}")
    assert found == []


def test_the_search_sees_strings_and_names_but_not_docstrings() -> None:
    source = '''
"""DeleteAccount in a docstring explains."""
# DeleteAccount in a comment explains.
def run(operation):
    """GetAccount too."""
    if operation == "DeleteAccount":
        return f"{operation} vs GetAccount"
    return DetachHostAccountsFromUser
'''
    assert sorted(named(source, sorted(CATALOG))) == [
        (6, "DeleteAccount"),
        (7, "GetAccount"),
        (8, "DetachHostAccountsFromUser"),
    ]


def test_every_allowance_is_still_needed() -> None:
    for where, action in ALLOWED:
        assert named((BOT / where).read_text(encoding="utf-8"), [action]), (where, action)

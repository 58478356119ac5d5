"""The repo explains itself: what the code cites is in the repo.

Code, comments and error messages point at files a person who clones the project has:
never at a design page kept outside it, and every ``docs/...`` or ``README.md`` they name
exists.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("bot", "commands", "storage", "tests", "bench")
OUTSIDE = re.compile(r"DESIGN\.md|\.\./shared")
CITED = re.compile(r"\b(docs/[\w./-]+\.md|README\.md)")


def texts() -> list[tuple[str, str]]:
    found = [
        (str(path.relative_to(ROOT)), path.read_text())
        for top in SOURCES
        for path in sorted((ROOT / top).rglob("*.py"))
    ]
    found += [(str(p.relative_to(ROOT)), p.read_text()) for p in sorted(ROOT.glob("docs/*.md"))]
    return [*found, ("README.md", (ROOT / "README.md").read_text())]


def test_nothing_cites_a_page_outside_the_repo() -> None:
    here = str(Path(__file__).relative_to(ROOT))
    cited = [name for name, text in texts() if name != here and OUTSIDE.search(text)]
    assert cited == []


def test_every_cited_page_exists() -> None:
    missing = {
        f"{name} cites {page}"
        for name, text in texts()
        for page in CITED.findall(text)
        if not (ROOT / page).exists()
    }
    assert sorted(missing) == []

"""Every benchmark starts as `make bench` starts it (a broken import is found here, not
by the next person who wants a figure): each answers --help without error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text()
# (environment prefix, script) of each line of the bench target, exactly as make runs it.
LINES = re.findall(r"^\t((?:\w+=\S+ )*)\$\(BIN\)/python (bench/\w+\.py)$", MAKEFILE, re.M)
BENCHES = sorted(script for _, script in LINES)


def test_make_bench_runs_every_benchmark_in_the_folder() -> None:
    on_disk = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "bench").glob("*.py") if p.name != "ack_stack.py"
    )
    assert on_disk == BENCHES


@pytest.mark.parametrize(("prefix", "bench"), LINES)
def test_the_benchmark_starts(prefix: str, bench: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(pair.split("=", 1) for pair in prefix.split())
    done = subprocess.run(
        [sys.executable, bench, "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout

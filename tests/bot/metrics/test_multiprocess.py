"""Choosing multiprocess mode: the operator's directory is emptied and kept; without one
a private directory is made and removed; too late (library already imported) is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.metrics import multiprocess_dir
from bot.metrics.instruments import MULTIPROC_VARIABLE


def test_an_operators_directory_is_emptied_of_old_samples_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "histogram_4242.db"
    stale.write_bytes(b"old run")
    keep = tmp_path / "README"
    keep.write_text("not ours")
    monkeypatch.setenv(MULTIPROC_VARIABLE, str(tmp_path))
    with multiprocess_dir() as path:
        assert path == str(tmp_path) and not stale.exists()
    assert keep.exists() and os.environ[MULTIPROC_VARIABLE] == str(tmp_path)


def test_choosing_after_the_library_was_imported_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import prometheus_client.values  # noqa: F401  (as every test process has by now)

    monkeypatch.delenv(MULTIPROC_VARIABLE, raising=False)
    with pytest.raises(RuntimeError, match="imported before"), multiprocess_dir():
        pass


def test_a_private_directory_is_made_for_the_run_and_removed() -> None:
    script = (
        "import os\n"
        "from bot.metrics import multiprocess_dir\n"
        "with multiprocess_dir() as path:\n"
        "    assert os.path.isdir(path) and os.environ['PROMETHEUS_MULTIPROC_DIR'] == path\n"
        "    from prometheus_client import Counter\n"
        "    Counter('x', 'x').inc()\n"
        "    assert os.listdir(path)\n"
        "print(path)\n"
        "assert 'PROMETHEUS_MULTIPROC_DIR' not in os.environ\n"
    )
    env = {k: v for k, v in os.environ.items() if k != MULTIPROC_VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert not Path(done.stdout.strip()).exists()

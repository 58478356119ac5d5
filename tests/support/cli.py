"""Running `offboard-bot` verbs as an operator would, in a process of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_verb(args: list[str], env: Mapping[str, str | None], home: Path) -> tuple[int, str]:
    """The verb in a fresh process, with only ``env`` (None: unset) and a private HOME.

    The official credential chain reads the environment once, when it is imported, so a
    verb that signs needs its own process; HOME keeps this machine's aliyun profile out,
    and the ECS metadata source is off (its address is unreachable here).
    """
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
    }
    clean.update({name: value for name, value in env.items() if value is not None})
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr

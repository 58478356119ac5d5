"""Idle memory of ``offboard-bot serve``: with its metrics, against the same serve without.

Both are the real two-process bot (the ack process and its work process) in HTTP mode
on a temporary SQLite, against the Slack stand-in (a subprocess) and the sandbox cloud,
as in ``bench/ack.py``. The baseline is the same ``serve`` with metrics off
(``serve(metrics=False)``: prometheus-client never imported, no multiprocess files, no
``/metrics``), which is what the bot was before it had metrics. Each is started fresh,
warmed the same way (a signed ``/offboard help``, a modal opened and a request filed
through it, ``/healthz``; ``/metrics`` scraped where it exists), left to go idle, and
then its resident set (VmRSS of both processes) is read. Rounds alternate. A bare Bolt
app that only acks is printed for scale.

Goal: idle RSS with metrics within 10% of the baseline.

    .venv/bin/python bench/rss.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from ack_stack import (
    SECRET,
    StandIn,
    bot_environment,
    settle,
    spawn_bare,
)

from bot.devstack.local_stack import REQUESTER
from bot.devstack.payloads import SlackSigner
from bot.devstack.standin import STANDIN_BOT_TOKEN
from bot.slack.views.modal import build_operation_modal
from commands.catalog import get_spec
from commands.sandbox import Sandbox, demo_world
from storage.migrate import upgrade

GOAL = 1.10
# serve(metrics=False): the only way to run the bot without its metrics (not a setting).
WITHOUT_METRICS = """
from bot import logs
from bot.settings import Settings
from bot.slack.runtime import serve
logs.configure("INFO", json=True)
serve(Settings(), force_http=True, host="127.0.0.1", port=0, metrics=False)
"""


def spawn(env: dict[str, str], *, metrics: bool) -> tuple[subprocess.Popen[str], str]:
    """``offboard-bot serve --http`` (or the same without metrics); its URL once serving."""
    if metrics:
        command = [sys.executable, "-m", "bot", "serve", "--http", "--port", "0"]
    else:
        command = [sys.executable, "-c", WITHOUT_METRICS]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if '"serving"' in line:
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return proc, str(json.loads(line)["url"])
    proc.kill()
    raise RuntimeError("the bot did not start")


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` and its children, in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    own = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    tasks = Path(f"/proc/{pid}/task").iterdir()
    children = [int(c) for task in tasks for c in (task / "children").read_text().split()]
    return own + sum(rss_kib(child) for child in children)


def warm(url: str, *, metrics: bool) -> None:
    """The same traffic for both: help, a modal, a filed request, health, metrics."""
    signer = SlackSigner(SECRET, f"{url}/slack/events")
    try:
        assert signer.slash_command(REQUESTER, "help").status_code == 200
        assert signer.slash_command(REQUESTER, "DeleteAccount").status_code == 200
        view = build_operation_modal(
            get_spec("DeleteAccount"), values={"AccountId": "1512996702208737"}, private_metadata=""
        )
        reason = {"reason": "bench: the team left"}
        assert signer.submit(REQUESTER, {**view, "id": "V0RSS"}, reason).status_code == 200
        assert httpx.get(f"{url}/healthz").status_code == 200
        scraped = httpx.get(f"{url}/metrics")
        assert scraped.status_code == (200 if metrics else 404), scraped.status_code
        if metrics:
            assert "offboard_ack_duration_seconds" in scraped.text
    finally:
        signer.close()


def measure(env: dict[str, str], *, metrics: bool) -> int:
    proc, url = spawn(env, metrics=metrics)
    try:
        warm(url, metrics=metrics)
        settle([proc.pid], idle=1.0, limit=60)
        time.sleep(1.0)
        return rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sandbox = Sandbox(demo_world())
    sandbox.start()
    standin = StandIn()
    samples: dict[bool, list[int]] = {True: [], False: []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(args.rounds):
                for metrics in (False, True):
                    db = f"sqlite:///{tmp}/rss-{n}-{int(metrics)}.db"
                    upgrade(db)
                    env = bot_environment(f"{standin.url}/api/", sandbox.base_url, db)
                    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
                    samples[metrics].append(measure(env, metrics=metrics))
        bare, _ = spawn_bare(f"{standin.url}/api/", STANDIN_BOT_TOKEN)
        time.sleep(2.0)
        bare_kib = rss_kib(bare.pid)
        bare.terminate()
        bare.wait(10)
    finally:
        standin.proc.terminate()
        sandbox.stop()
    report(samples, bare_kib)


def report(samples: dict[bool, list[int]], bare_kib: int) -> None:
    base = statistics.median(samples[False])
    ours = statistics.median(samples[True])
    ratio = ours / base
    print("idle RSS of `offboard-bot serve` (ack process + work process), median of rounds")
    print(f"  without metrics (baseline): {base / 1024:7.1f} MiB  {samples[False]} KiB")
    print(f"  with metrics:               {ours / 1024:7.1f} MiB  {samples[True]} KiB")
    print(f"  ratio {ratio:.3f} (goal <= {GOAL}): {'met' if ratio <= GOAL else 'NOT met'}")
    print(f"  for scale, a bare Bolt app that only acks: {bare_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()

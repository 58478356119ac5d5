"""How fast the bot acks Slack, compared with a bare Bolt app, and how fast it executes.

Everything on loopback. In this process: the sandbox cloud and the Slack Web API
stand-in. In two subprocesses: ``offboard-bot serve --http`` (the real bot on a temporary
SQLite) and a bare Bolt app that only acks, served the same way (waitress, same thread
count). 20 concurrent clients send Slack-signed slash commands (``/offboard DeleteAccount
AccountId=…``, which opens the modal after the ack) and button clicks (approvals of
pending requests, and refused clicks by a non-approver) to each; then final approvals
are clicked one at a time and the time until the signed call reaches the sandbox is
measured.

Goals: p99 <= 50 ms and bot/bare p99 ratio <= 1.2 for acks; p50 <= 150 ms from the final
approval click to the signed call at the sandbox.

    .venv/bin/python bench/ack.py [--clients 20] [--per-client 25] [--executions 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, OUTSIDER, REQUESTER
from bot.devstack.payloads import Person, SlackSigner
from bot.devstack.standin import STANDIN_BOT_TOKEN
from bot.slack.views.modal import build_operation_modal
from commands.catalog import get_spec
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox, demo_world
from storage.db import make_engine
from storage.migrate import upgrade
from storage.repository import Repository

SECRET = "bench-signing-secret"
STANDIN_SERVER = """
import sys
from bot.devstack.standin import SlackStandIn
standin = SlackStandIn()
print(standin.start(), flush=True)
sys.stdin.read()
"""
BARE_APP = """
import sys
from slack_bolt import App
from slack_sdk import WebClient
from bot.slack.http import HttpServer
from slack_bolt.adapter.wsgi import SlackRequestHandler
token, api_url, secret = sys.argv[1:4]
app = App(client=WebClient(token=token, base_url=api_url), signing_secret=secret)
app.command("/offboard")(lambda ack: ack())
for action_id in ("approve", "reject", "operation"):
    app.action(action_id)(lambda ack: ack())
server = HttpServer(SlackRequestHandler(app), threads=8)
print(server.url, flush=True)
server.serve_forever()
"""


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spawn_bot(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--log-level", "INFO", "serve", "--http", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if '"serving"' in line:
            url = json.loads(line)["url"] if line.startswith("{") else line.split("url=")[1]
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep it drained
            return proc, url.strip()
    proc.kill()
    raise RuntimeError("the bot did not start")


def spawn_bare(api_url: str, token: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", BARE_APP, token, api_url, SECRET],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def spawn_standin() -> tuple[subprocess.Popen[str], str]:
    """The Slack stand-in in its own process, so its work never competes with the clients."""
    proc = subprocess.Popen(
        [sys.executable, "-c", STANDIN_SERVER],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


Prepared = tuple[bytes, dict[str, str]]


class Preparer(SlackSigner):
    """Builds and signs requests without sending them, so the timed loop only sends."""

    def __init__(self) -> None:
        super().__init__(SECRET, "unused")
        self.prepared: list[Prepared] = []

    def post(self, body: str, **kwargs: Any) -> httpx.Response:
        self.prepared.append((body.encode(), self.signed_headers(body)))
        return httpx.Response(200)


def load(clients: int, requests: list[Prepared], url: str, think: float) -> list[float]:
    """Send pre-signed ``requests`` over ``clients`` keep-alive connections; seconds each.

    Each client waits ``think`` seconds (0.5x to 1.5x, at random) between its requests;
    0 makes it a closed loop that saturates the two cores (a throughput test).
    """
    pause = random.Random(7)
    where = urlsplit(url)
    lanes = [requests[i::clients] for i in range(clients)]

    def run(lane: int) -> list[float]:
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
        connection.request("GET", "/healthz")  # warm the connection
        connection.getresponse().read()
        timings = []
        for body, headers in lanes[lane]:
            started = time.perf_counter()
            connection.request("POST", "/slack/events", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            timings.append(time.perf_counter() - started)
            assert response.status == 200, response.status
            if think:
                time.sleep(think * (0.5 + pause.random()))
        connection.close()
        return timings

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(run, range(clients)))
    return [t for lane in results for t in lane]


def create_requests(url: str, count: int, db: str) -> list[str]:
    """``count`` pending DeleteAccount requests, submitted through the modal's view."""
    spec = get_spec("DeleteAccount")
    view = build_operation_modal(
        spec, values={"AccountId": "1512996702208737"}, private_metadata=""
    )
    signer = SlackSigner(SECRET, f"{url}/slack/events")
    repo = Repository(make_engine(db))
    for _ in range(count):
        signer.submit(REQUESTER, {**view, "id": "V0BENCH"}, {"reason": "bench: the team left"})
    deadline = time.monotonic() + 60
    ready: list[str] = []
    while time.monotonic() < deadline and len(ready) < count:
        pending = repo.list_requests(statuses=["PENDING"], limit=10_000)
        ready = [r.id for r in pending if r.card_ts]
        time.sleep(0.05)
    signer.close()
    repo.engine.dispose()
    return ready


def report(name: str, bot: list[float], bare: list[float]) -> None:
    b50, b99 = percentile(bot, 0.5) * 1000, percentile(bot, 0.99) * 1000
    r50, r99 = percentile(bare, 0.5) * 1000, percentile(bare, 0.99) * 1000
    ratio = b99 / r99 if r99 else float("inf")
    verdict = "meets" if b99 <= 50 and ratio <= 1.2 else "MISSES"
    print(
        f"{name:<16} bot p50 {b50:6.1f} ms p99 {b99:6.1f} ms | bare Bolt p50 {r50:6.1f} ms "
        f"p99 {r99:6.1f} ms | p99 ratio {ratio:4.2f} ({verdict} p99<=50 ms, ratio<=1.2) "
        f"n={len(bot)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--executions", type=int, default=20)
    parser.add_argument(
        "--think-ms", type=float, default=50.0, help="pause between a client's requests"
    )
    args = parser.parse_args()
    total = args.clients * args.per_client

    sandbox = Sandbox(demo_world(deletion_seconds=0.2))
    sandbox.start()
    standin_proc, standin_url = spawn_standin()
    api_url = f"{standin_url}/api/"
    procs = [standin_proc]
    with tempfile.TemporaryDirectory(prefix="offboard-bench-") as workdir:
        db = f"sqlite:///{Path(workdir) / 'bench.db'}"
        upgrade(db)
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": STANDIN_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
            "OFFBOARD_DATABASE_URL": db,
            "OFFBOARD_APPROVAL_CHANNEL": APPROVAL_CHANNEL,
            "OFFBOARD_APPROVERS": ",".join([REQUESTER.user_id, *(p.user_id for p in APPROVERS)]),
            # Approvals as plain clicks: this measures acks and execution, not step-up codes.
            "OFFBOARD_STEP_UP": "off",
        }
        env.pop("SLACK_APP_TOKEN", None)
        try:
            bot_proc, bot_url = spawn_bot(env)
            procs.append(bot_proc)
            bare_proc, bare_url = spawn_bare(api_url, STANDIN_BOT_TOKEN)
            procs.append(bare_proc)
            print(
                f"bot {bot_url} (offboard-bot serve --http) · bare Bolt {bare_url} · "
                f"{args.clients} clients · {total} requests per kind and app"
            )
            pending = create_requests(bot_url, total // 5 + args.executions, db)
            loaded, final = pending[: total // 5], pending[total // 5 :]
            for think in (args.think_ms / 1000, 0.0):
                mode = f"each client pausing ~{think * 1000:.0f} ms" if think else "closed loop"
                print(f"-- {args.clients} concurrent clients, {mode}")
                for name, build in (("slash command", _slash), ("button click", _clicks)):
                    for url in (bare_url, bot_url):  # warm up: first calls import and cache
                        load(args.clients, build(loaded, 2 * args.clients), url, 0.0)
                    bare = load(args.clients, build(loaded, total), bare_url, think)
                    bot = load(args.clients, build(loaded, total), bot_url, think)
                    report(name, bot, bare)
            # The load phase leaves seconds of lazy work queued (modals, cards, threads);
            # let it drain so the next figure is execution latency, not that backlog.
            _quiet(sandbox)
            _executions(bot_url, final, sandbox)
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(10)
    sandbox.stop()
    return 0


def _slash(_requests: list[str], total: int) -> list[Prepared]:
    """``/offboard DeleteAccount AccountId=…``: ack, then the filled modal opens."""
    preparer = Preparer()
    for _ in range(total):
        preparer.slash_command(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    return preparer.prepared


def _clicks(requests: list[str], total: int) -> list[Prepared]:
    """A first approval on each request, the rest refused clicks (a non-approver)."""
    preparer = Preparer()
    for i in range(total):
        person: Person = APPROVERS[0] if i < len(requests) else OUTSIDER
        request_id = requests[i % len(requests)]
        preparer.click(person, "approve", request_id, channel=APPROVAL_CHANNEL, message_ts="1.1")
    return preparer.prepared


def _quiet(sandbox: Sandbox, idle: float = 1.0, limit: float = 30.0) -> None:
    """Wait until the sandbox has seen no call for ``idle`` seconds (at most ``limit``)."""
    deadline = time.monotonic() + limit
    seen, since = len(sandbox.calls), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < idle:
        time.sleep(0.05)
        if len(sandbox.calls) != seen:
            seen, since = len(sandbox.calls), time.monotonic()


def _executions(url: str, requests: list[str], sandbox: Sandbox) -> None:
    """Final approval click -> the signed DeleteAccount at the sandbox, one at a time."""
    signer = SlackSigner(SECRET, f"{url}/slack/events")
    bob, carol = APPROVERS
    samples = []
    for request_id in requests:
        signer.click(bob, "approve", request_id, channel=APPROVAL_CHANNEL, message_ts="1.1")
        before = sandbox.count("DeleteAccount")
        clicked = time.time()
        signer.click(carol, "approve", request_id, channel=APPROVAL_CHANNEL, message_ts="1.1")
        deadline = time.monotonic() + 10
        while sandbox.count("DeleteAccount") == before and time.monotonic() < deadline:
            time.sleep(0.001)
        arrived = [c for c in sandbox.calls if c.action == "DeleteAccount"][before:]
        if arrived:
            samples.append(arrived[0].at.timestamp() - clicked)
    signer.close()
    if not samples:
        print("final approval -> signed call: no call arrived")
        return
    p50 = percentile(samples, 0.5) * 1000
    verdict = "meets" if p50 <= 150 else "MISSES"
    print(
        f"final approval -> signed call at the sandbox: p50 {p50:6.1f} ms "
        f"p99 {percentile(samples, 0.99) * 1000:6.1f} ms ({verdict} p50<=150 ms) n={len(samples)}"
    )


if __name__ == "__main__":
    sys.exit(main())

"""The processes `bench/ack.py` measures, and the helpers that prepare and watch them.

``offboard-bot serve --http`` (the ack process and its work process), a bare Bolt app that
only acks (served the same way: waitress, same thread count) and the Slack Web API
stand-in, each in its own subprocess so their work never competes with the clients' GIL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, REQUESTER
from bot.devstack.payloads import SlackSigner
from bot.devstack.standin import STANDIN_BOT_TOKEN
from bot.slack.views.modal import build_operation_modal
from commands.catalog import get_spec
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from storage.db import make_engine
from storage.repository import Repository

SECRET = "bench-signing-secret"
# The stand-in plays Slack's servers, which are not on the bot's host: at nice 10 its
# answers to the bot's work (modals, cards) do not take the cores from the bot's acks,
# which the bare app, whose acks cause no work, would never meet. http.server listens
# with a backlog of 5; the work process's threads overflow it, and each dropped connect
# is retried by TCP a second later (a 1.1 s modal), which Slack's servers would not do.
STANDIN_SERVER = """
import json, os, sys
from http.server import ThreadingHTTPServer
from bot.devstack.local_stack import workspace_people
from bot.devstack.standin import SlackStandIn
os.nice(10)
ThreadingHTTPServer.request_queue_size = 128
standin = SlackStandIn(people=workspace_people())
print(standin.start(), flush=True)
for _ in sys.stdin:  # each line asks: when was each trigger_id used for views.open?
    opened = {c.params.get("trigger_id"): c.at for c in standin.calls("views.open")}
    print(json.dumps(opened), flush=True)
"""
BARE_APP = """
import logging, sys
from slack_bolt import App
from slack_sdk import WebClient
from bot.slack.http import HttpServer
from slack_bolt.adapter.wsgi import SlackRequestHandler
token, api_url, secret = sys.argv[1:4]
app = App(client=WebClient(token=token, base_url=api_url), signing_secret=secret)
app.command("/offboard")(lambda ack: ack())
for action_id in ("approve", "reject", "operation"):
    app.action(action_id)(lambda ack: ack())
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # as the bot's logs.configure
server = HttpServer(SlackRequestHandler(app), threads=8)
print(server.url, flush=True)
server.serve_forever()
"""

Prepared = tuple[bytes, dict[str, str]]


def bot_environment(api_url: str, endpoint: str, db: str) -> dict[str, str]:
    """``offboard-bot serve``'s environment: the stand-in, the sandbox, a SQLite file."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": STANDIN_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "OFFBOARD_ALIBABA_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "OFFBOARD_DATABASE_URL": db,
        "OFFBOARD_APPROVAL_CHANNEL": APPROVAL_CHANNEL,
        "OFFBOARD_APPROVERS": ",".join([REQUESTER.user_id, *(p.user_id for p in APPROVERS)]),
        # Approvals as plain clicks: this measures acks and execution, not step-up codes.
        "OFFBOARD_STEP_UP": "off",
    }
    env.pop("SLACK_APP_TOKEN", None)
    return env


def spawn_bot(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--log-level", "INFO", "serve", "--http", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
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


class StandIn:
    """The Slack stand-in in its own process; tells when each trigger_id opened a modal."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", STANDIN_SERVER],
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def opened(self) -> dict[str, float]:
        """trigger_id -> when (epoch seconds) the stand-in received its ``views.open``."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        answer: dict[str, float] = json.loads(self.proc.stdout.readline())
        return answer


class Preparer(SlackSigner):
    """Builds and signs requests without sending them, so the timed loop only sends."""

    def __init__(self) -> None:
        super().__init__(SECRET, "unused")
        self.prepared: list[Prepared] = []

    def post(self, body: str, **kwargs: Any) -> httpx.Response:
        self.prepared.append((body.encode(), self.signed_headers(body)))
        return httpx.Response(200)


def create_requests(url: str, count: int, db: str) -> list[str]:
    """``count`` pending DeleteAccount requests, submitted through the modal's view."""
    spec = get_spec("DeleteAccount")
    view = build_operation_modal(
        spec, values={"AccountId": "1512996702208737"}, private_metadata=""
    )
    signer = SlackSigner(SECRET, f"{url}/slack/events")
    repo = Repository(make_engine(db))
    for n in range(count):
        # One request per view: Slack gives each opened modal its own id.
        signer.submit(REQUESTER, {**view, "id": f"V0BENCH{n}"}, {"reason": "bench: the team left"})
    deadline = time.monotonic() + 60
    ready: list[str] = []
    while time.monotonic() < deadline and len(ready) < count:
        pending = repo.list_requests(statuses=["PENDING"], limit=10_000)
        ready = [r.id for r in pending if r.card_ts]
        time.sleep(0.05)
    signer.close()
    repo.engine.dispose()
    return ready


def cpu_ticks(pid: int) -> int:
    """User + system CPU ticks of ``pid`` and its children (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        children = [c for task in tasks for c in (task / "children").read_text().split()]
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12]) + sum(cpu_ticks(int(c)) for c in children)


def settle(pids: list[int], idle: float = 0.5, limit: float = 120.0) -> float:
    """Wait until ``pids`` (and children) use at most ~5% CPU over ``idle`` s; seconds waited.

    The bot's lazy work (modals, cards, decisions) outlives the acks that queued it; the
    next round, bare or bot, starts once it is done, so neither inherits the other's work.
    """
    started = time.monotonic()
    before = sum(cpu_ticks(p) for p in pids)
    while time.monotonic() - started < limit:
        time.sleep(idle)
        now = sum(cpu_ticks(p) for p in pids)
        if now - before <= max(1, int(idle * 100 * 0.05)):
            break
        before = now
    return time.monotonic() - started

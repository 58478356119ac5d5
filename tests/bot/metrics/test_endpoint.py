"""``GET /metrics`` of the real ``offboard-bot serve`` (two processes, multiprocess mode),
moving as a request goes through: signed Slack requests over HTTP, the stand-in, the
sandbox cloud, a migrated SQLite file. Cloud calls happen in the work process; acks in
the ack process; the counts come from the database: all of it in one scrape, and none of
it secret or about people. The same run shows the Home tab in process mode."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest

from bot.devstack.home_payloads import home_opened, send_event
from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, REQUESTER, workspace_people
from bot.devstack.payloads import SlackSigner
from bot.devstack.standin import SlackStandIn
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.http import HttpServer
from bot.slack.probes import make_probe_app
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox, demo_world
from storage.db import make_engine
from storage.migrate import upgrade
from storage.repository import Repository
from tests.bot.metrics.scrape import Samples, parse, scrape, total, value
from tests.support.clock import FakeClock
from tests.support.slack import wait_until

pytestmark = pytest.mark.slow

SECRET = "metrics-test-signing-secret"
MEMBER = "1512996702208737"
OP = "DeleteAccount"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, SlackStandIn, Sandbox, Repository]]:
    database = f"sqlite:///{tmp_path / 'metrics.db'}"
    upgrade(database)
    standin = SlackStandIn(people=workspace_people())
    sandbox = Sandbox(demo_world(deletion_seconds=0.3))
    standin.start()
    sandbox.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OFFBOARD_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        SLACK_BOT_TOKEN=standin.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=standin.api_url,
        OFFBOARD_ALIBABA_ENDPOINT=sandbox.base_url,
        ALIBABA_CLOUD_ACCESS_KEY_ID=DEMO_ACCESS_KEY_ID,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=DEMO_ACCESS_KEY_SECRET,
        OFFBOARD_DATABASE_URL=database,
        OFFBOARD_APPROVAL_CHANNEL=APPROVAL_CHANNEL,
        OFFBOARD_APPROVERS=",".join(p.user_id for p in (REQUESTER, *APPROVERS)),
        OFFBOARD_STEP_UP="off",  # this test is about metrics; step-up has its own
    )
    command = [sys.executable, "-m", "bot", "serve", "--http", "--port", "0"]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    url, said = None, []
    for line in proc.stderr:
        said.append(line)
        if '"serving"' in line:
            url = json.loads(line)["url"]
            break
    drain = threading.Thread(target=proc.stderr.read, daemon=True)
    drain.start()
    repo = Repository(make_engine(database))
    try:
        assert url, f"the bot did not say where it serves: {''.join(said)}"
        yield url, standin, sandbox, repo
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
            drain.join(5)
            proc.stderr.close()
            repo.engine.dispose()
            standin.stop()
            sandbox.stop()


def test_metrics_move_as_a_request_goes_through(
    served: tuple[str, SlackStandIn, Sandbox, Repository],
) -> None:
    url, standin, sandbox, repo = served
    signer = SlackSigner(SECRET, f"{url}/slack/events", response_url=standin.response_url)
    try:
        before = scrape(url)
        assert value(before, "offboard_database_up") == 1
        assert total(before, "offboard_requests") == 0

        assert signer.slash_command(REQUESTER, f"{OP} AccountId={MEMBER}").status_code == 200
        view = {**standin.wait_for_calls("views.open")[0].params["view"], "id": "V1"}
        reason = {"reason": "the employee left; HR closed the account"}
        assert signer.submit(REQUESTER, view, reason).text == ""
        record = wait_until(lambda: (r := repo.list_requests()) and r[0].card_ts and r[0])
        pending = scrape(url)
        assert value(pending, "offboard_requests", operation=OP, state="PENDING") == 1
        assert value(pending, "offboard_ack_duration_seconds_count", kind="command") == 1
        assert value(pending, "offboard_ack_duration_seconds_count", kind="view_submission") == 1
        # The deletion check ran in the work process; its timing is in this scrape.
        checks = total(
            pending, "offboard_cloud_call_duration_seconds_count", action="CheckAccountDelete"
        )
        assert checks == sandbox.count("CheckAccountDelete") >= 1
        assert value(pending, "offboard_decisions_total", vote="approve") == 0

        for person in APPROVERS[:2]:
            click = signer.click(
                person, "approve", record.id, channel=APPROVAL_CHANNEL, message_ts=record.card_ts
            )
            assert click.status_code == 200
        wait_until(lambda: repo.get_request(record.id).status == "SUCCEEDED", 30, "success")
        wait_until(lambda: not repo.undelivered_announcements(), 30, "the outbox")
        open_tabs(signer, standin)
        done = scrape(url)
        text = httpx.get(f"{url}/metrics").text
    finally:
        signer.close()
    assert value(done, "offboard_ack_duration_seconds_count", kind="block_actions") == 2
    assert value(done, "offboard_ack_duration_seconds_count", kind="event_callback") == 1
    assert value(done, "offboard_decisions_total", vote="approve") == 2
    assert value(done, "offboard_executions_total", operation=OP, outcome="SUCCEEDED") == 1
    assert value(done, "offboard_requests", operation=OP, state="SUCCEEDED") == 1
    assert value(done, "offboard_requests", operation=OP, state="PENDING") == 0
    assert total(done, "offboard_outbox_backlog") == 0
    assert value(done, "offboard_oldest_pending_request_age_seconds") == 0
    sent = value(done, "offboard_cloud_call_duration_seconds_count", action=OP, code="OK")
    assert sent == sandbox.count(OP) == 1
    assert_naming(done)
    assert_nothing_secret(text, standin, record.id)


def open_tabs(signer: SlackSigner, standin: SlackStandIn) -> None:
    """The work process's announcer refreshed the tabs the request concerns, and a signed
    app_home_opened is acked by the ack process and published by the work process."""
    tabs = {c.params["user_id"] for c in standin.calls("views.publish")}
    assert {REQUESTER.user_id, *(p.user_id for p in APPROVERS)} <= tabs
    before = len(standin.calls("views.publish"))
    assert send_event(signer, home_opened(APPROVERS[0])).status_code == 200
    standin.wait_for_calls("views.publish", before + 1)


def assert_nothing_secret(text: str, standin: SlackStandIn, request_id: str) -> None:
    """Nothing secret and nothing about people or what they asked for."""
    for never in (SECRET, standin.token, DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, MEMBER):
        assert never not in text
    for person in (REQUESTER, *APPROVERS):
        assert person.user_id not in text
    assert "HR closed" not in text and request_id not in text


def assert_naming(samples: Samples) -> None:
    """Prometheus' conventions: one prefix, counters in _total, durations in _seconds."""
    names = {name for name, _ in samples}
    assert all(name.startswith("offboard_") for name in names), names
    for name in names:
        if "duration" in name:
            assert name.rsplit("_", 1)[0].endswith("_seconds") or name.endswith("_seconds")
    assert {"offboard_decisions_total", "offboard_lease_takeovers_total"} <= names


def test_the_probe_port_serves_metrics_and_health_and_nothing_of_slack(
    repo: Repository, clock: FakeClock
) -> None:
    """What Socket Mode serves on OFFBOARD_METRICS_PORT."""
    metrics = Metrics(repo.stats, clock)
    metrics.ack("command", 0.004)
    server = HttpServer(make_probe_app(repo.ping, metrics.wsgi()), threads=2)
    server.start()
    try:
        samples = parse(httpx.get(f"{server.url}/metrics").text)
        assert value(samples, "offboard_ack_duration_seconds_count", kind="command") == 1
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok", "database": True}
        assert httpx.post(f"{server.url}/slack/events", content=b"{}").status_code == 404
        assert httpx.post(f"{server.url}/metrics").status_code == 404
    finally:
        server.stop()
    assert generate_latest(metrics.registry)  # the same registry the port answered from


def test_the_metrics_port_is_a_port() -> None:
    assert Settings.from_fields(metrics_port="9464").metrics_port == 9464
    for bad in ("0", "70000", "http"):
        with pytest.raises(ValueError, match="OFFBOARD_METRICS_PORT"):
            Settings.from_fields(metrics_port=bad)

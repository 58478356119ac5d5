"""Process mode (``offboard-bot serve``): the ack process answers Slack, a work process works.

The real thing on loopback: the ack process is a :class:`Runtime` in this process, and
the work process is ``python -m bot.slack.work_process``, started by it with its
settings in its environment only (the stand-in as SLACK_API_URL, the sandbox as
OFFBOARD_ALIBABA_ENDPOINT with the demo's static credentials, a migrated database).
Tests drive it through Slack-signed HTTP requests and stop, kill and restart the work
process with signals.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.deps import build_deps
from bot.devstack.authenticator import Authenticator
from bot.devstack.local_stack import (
    APPROVAL_CHANNEL,
    APPROVERS,
    REQUESTER,
    LocalStack,
    Setup,
    workspace_people,
)
from bot.devstack.payloads import SlackSigner
from bot.devstack.standin import STANDIN_TEAM_ID, SlackStandIn
from bot.settings import Settings
from bot.slack.app import check_lazy_names
from bot.slack.handoff import WorkProcess, WorkProcessError
from bot.slack.runtime import Runtime
from bot.slack.work_process import INTERRUPTED, NICENESS
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox, demo_world
from storage.db import make_engine
from storage.repository import Repository
from tests.support.clock import FakeClock
from tests.support.slack import Slack, wait_until

pytestmark = pytest.mark.slow

TEXT = "DeleteAccount AccountId=1512996702208737"
REASON = {"reason": "the employee left; HR closed the account"}
PROMPT = 1.0  # seconds; far below Slack's 3 s, far above an idle ack


def environment(
    standin: SlackStandIn, sandbox: Sandbox, db_url: str, secret: str
) -> dict[str, str]:
    """The work process's whole environment: ours without any Slack/Offboard/cloud variable."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OFFBOARD_", "ALIBABA_"))
    }
    return {
        **inherited,
        "SLACK_BOT_TOKEN": standin.token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": standin.api_url,
        "OFFBOARD_ALIBABA_ENDPOINT": sandbox.base_url,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_ACCESS_KEY_SECRET,
        "OFFBOARD_DATABASE_URL": db_url,
        "OFFBOARD_APPROVAL_CHANNEL": APPROVAL_CHANNEL,
        "OFFBOARD_APPROVERS": ",".join([REQUESTER.user_id, *(p.user_id for p in APPROVERS)]),
        # Slack-only approvals: these tests are about the two processes; step-up's own
        # tests (test_step_up*.py) drive the approval modal.
        "OFFBOARD_STEP_UP": "off",
    }


@pytest.fixture
def split(db_url: str, clock: FakeClock) -> Iterator[Slack]:
    """The bot in process mode on ``db_url``, wrapped in the same :class:`Slack` helper."""
    sandbox = Sandbox(demo_world(deletion_seconds=0.2))
    standin = SlackStandIn(team_id=STANDIN_TEAM_ID, people=workspace_people())
    sandbox.start()
    standin.start()
    secret = secrets.token_hex(16)
    env = environment(standin, sandbox, db_url, secret)
    # The ack process reads the same values (here from the same mapping).
    settings = Settings(**{k: v for k, v in env.items() if k.startswith(("SLACK_", "OFFBOARD_"))})
    deps = build_deps(settings, repo=Repository(make_engine(db_url)))
    runtime = Runtime(deps, work=WorkProcess(env=env, log_level="WARNING"))
    signer: SlackSigner | None = None
    try:
        runtime.start_background()
        url = runtime.start_http()
        signer = SlackSigner(secret, f"{url}/slack/events", response_url=standin.response_url)
        # Step-up is off here: nobody is enrolled, no set-up was said in Slack.
        nobody, quiet = Authenticator(clock), Setup([], [])
        stack = LocalStack(settings, deps, runtime, sandbox, standin, signer, url, nobody, quiet)
        yield Slack(stack, clock)
    finally:
        if signer is not None:
            signer.close()
        runtime.stop()
        deps.repo.engine.dispose()
        standin.stop()
        sandbox.stop()


def work_pid(slack: Slack) -> int:
    work = slack.stack.runtime.work
    assert work is not None
    pid = work.pid
    assert pid is not None and pid != os.getpid()
    return pid


def restarted(slack: Slack, old: int) -> int:
    """Wait until a new work process is ready; its pid."""
    work = slack.stack.runtime.work
    assert work is not None
    wait_until(lambda: work.pid != old and work.wait_ready(0), 60, "a new work process")
    return work_pid(slack)


def test_process_mode_runs_the_whole_flow_in_the_work_process(split: Slack) -> None:
    slack = split
    assert slack.stack.runtime.background is None  # no worker or announcer in this process
    request = slack.request(REQUESTER, TEXT)  # views.open, pre-checks, storing, the card
    for approver in APPROVERS:
        slack.click(approver, "approve", request)
    assert slack.wait_status(request, "SUCCEEDED", timeout=30) == "SUCCEEDED"
    assert slack.sandbox.count("DeleteAccount") == 1
    # The announcer (over there too) answers in the card's thread with the cloud's answer.
    wait_until(lambda: "RequestId" in json.dumps([m.blocks for m in slack.thread(request)]), 15)


def test_acks_do_not_wait_for_a_stalled_work_process(split: Slack) -> None:
    slack = split
    pid = work_pid(slack)
    os.kill(pid, signal.SIGSTOP)  # the work process holds no CPU and answers nothing
    try:
        started = time.monotonic()
        assert slack.signer.slash_command(REQUESTER, TEXT).status_code == 200
        assert time.monotonic() - started < PROMPT
        time.sleep(0.5)
        assert slack.standin.calls("views.open") == []  # the work is over there, waiting
    finally:
        os.kill(pid, signal.SIGCONT)
    slack.standin.wait_for_calls("views.open")


def test_a_job_the_dead_work_process_never_started_runs_in_the_next_one(split: Slack) -> None:
    slack = split
    pid = work_pid(slack)
    os.kill(pid, signal.SIGSTOP)
    assert slack.signer.slash_command(REQUESTER, TEXT).status_code == 200
    os.kill(pid, signal.SIGKILL)  # the job sat unread in its socket
    assert restarted(slack, pid) != pid
    opened = slack.standin.wait_for_calls("views.open", timeout=30)
    assert len(opened) == 1


def test_a_job_killed_mid_way_is_not_run_again_and_the_person_is_told(split: Slack) -> None:
    slack = split
    view = slack.open_modal(REQUESTER, TEXT)
    slack.sandbox.delay("CheckAccountDelete", 8.0)
    assert slack.submit(REQUESTER, view, REASON).status_code == 200
    wait_until(lambda: slack.sandbox.count("CheckAccountDelete"), 15, "the pre-check")
    pid = work_pid(slack)
    os.kill(pid, signal.SIGKILL)  # mid-way: the submission's pre-check is in flight
    restarted(slack, pid)
    slack.sandbox.delay("CheckAccountDelete", 0)

    def told() -> bool:
        return any(c.params.get("text") == INTERRUPTED for c in slack.standin.calls())

    wait_until(told, 30, "the interrupted notice")  # a DM: a submission has no channel
    work = slack.stack.runtime.work
    assert work is not None and work.wait_idle(30)
    assert slack.repo.list_requests(limit=10) == []  # not filed, and not filed twice
    assert slack.sandbox.count("CheckAccountDelete") == 1  # the job was not run again

    request = slack.request(REQUESTER, TEXT)  # the restarted process works
    assert request.status == "PENDING"


FORGED = {"x-slack-bolt-lazy-only": "1", "x-slack-bolt-lazy-function-name": "work"}


def test_a_replayed_request_claiming_to_be_lazy_only_is_refused(split: Slack) -> None:
    """Bolt's lazy-only headers are not signed: with them a captured request would skip
    the ack and run its work in the process that answers Slack."""
    slack = split
    response = slack.signer.slash_command(REQUESTER, TEXT, headers=FORGED)
    assert response.status_code == 400
    work = slack.stack.runtime.work
    assert work is not None and work.wait_idle(5)
    assert slack.standin.calls("views.open") == []


def test_a_request_claiming_to_be_lazy_only_is_refused_in_thread_mode(bot_server: Slack) -> None:
    slack = bot_server
    response = slack.signer.slash_command(REQUESTER, TEXT, headers=FORGED)
    assert response.status_code == 400
    time.sleep(0.5)
    assert slack.standin.calls("views.open") == []


def test_the_work_process_gets_no_secret_on_its_command_line(split: Slack) -> None:
    slack = split
    cmdline = Path(f"/proc/{work_pid(slack)}/cmdline").read_bytes().decode()
    secret = slack.stack.settings.slack_signing_secret
    assert secret is not None
    for value in (secret.get_secret_value(), slack.standin.token, DEMO_ACCESS_KEY_SECRET):
        assert value not in cmdline
    assert "bot.slack.work_process" in cmdline


def test_the_work_process_yields_the_cpu_to_the_ack_process(split: Slack) -> None:
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, work_pid(split)) == min(ours + NICENESS, 19)


def test_stopping_lets_the_work_process_finish_its_jobs(split: Slack) -> None:
    slack = split
    slack.standin.delay("views.open", 1.0)
    assert slack.signer.slash_command(REQUESTER, TEXT).status_code == 200
    slack.standin.wait_for_calls("views.open")
    pid = work_pid(slack)
    slack.stack.runtime.stop()
    work = slack.stack.runtime.work
    assert work is not None and work.wait_idle(0)  # the job was reported done
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_socket_mode_requests_get_the_same_split(split: Slack) -> None:
    """Bolt's Socket Mode adapter dispatches the envelope's payload (no signature: the
    WebSocket is authenticated); the ack comes from here, the modal from over there."""
    slack = split
    payload = {
        "team_id": REQUESTER.team_id,
        "channel_id": "C0GENERAL",
        "user_id": REQUESTER.user_id,
        "command": "/offboard",
        "text": TEXT,
        "response_url": slack.standin.response_url("socket"),
        "trigger_id": "7.1796000000.socketmode",
    }
    envelope = SocketModeRequest(type="slash_commands", envelope_id="E1", payload=payload)
    assert run_bolt_app(slack.stack.runtime.app, envelope).status == 200
    opened = slack.standin.wait_for_calls("views.open", timeout=30)
    assert opened[0].params["trigger_id"] == payload["trigger_id"]


def test_a_work_process_that_cannot_start_is_reported_at_once(
    slack_standin: SlackStandIn, sqlite_url: str
) -> None:
    sandbox = Sandbox(demo_world())
    env = environment(slack_standin, sandbox, sqlite_url, "unused")
    del env["SLACK_SIGNING_SECRET"]  # it refuses to build the app without it
    work = WorkProcess(env=env, log_level="CRITICAL")
    started = time.monotonic()
    with pytest.raises(WorkProcessError, match="did not start"):
        work.start(timeout=120)
    assert time.monotonic() - started < 60  # it exited; nobody waited for the timeout


def test_two_lazy_functions_of_one_listener_may_not_share_a_name() -> None:
    app = App(signing_secret="unused", token="xoxb-unused", token_verification_enabled=False)

    def closure() -> Callable[..., None]:
        def run(body: dict[str, object]) -> None:
            del body

        return run

    app.command("/fine")(ack=lambda ack: ack(), lazy=[closure()])
    check_lazy_names(app)
    app.command("/clash")(ack=lambda ack: ack(), lazy=[closure(), closure()])
    with pytest.raises(ValueError, match="run"):
        check_lazy_names(app)

"""The work process: ``python -m bot.slack.work_process --fd N`` (started by the ack process).

It builds the same app from the same settings (read from its environment, where the ack
process put them; nothing secret is on its command line) and runs, in threads of its
own: the jobs the ack process sends over the socket pair on fd ``N`` (each one lazy
function of one Slack request, dispatched lazy-only), the worker and the announcer. The
"bells" the listeners ring to wake the worker and the announcer are in this process,
next to the threads they wake.

To the ack process it reports ``ready`` once built, and ``started`` and ``done`` per job
(``started`` before anything of the job runs: a job never reported started can be sent
again). It stops on ``stop`` from the ack process, on SIGTERM, or when the ack process
is gone, after finishing the jobs it received. Ctrl-C in a terminal reaches both
processes; the ack process decides when this one stops, so SIGINT is ignored here.

It runs at a lower CPU priority (:data:`NICENESS`) than the ack process: the split keeps
work from holding the ack process's interpreter, the niceness keeps it from taking the
cores the acks need when both are busy.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import secrets
import signal
import sys
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

import structlog
from slack_bolt import App
from slack_bolt.lazy_listener import LazyListenerRunner
from slack_bolt.lazy_listener.internals import build_runnable_function
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import logs
from bot.deps import build_deps
from bot.settings import Settings
from bot.slack.app import create_work_app
from bot.slack.jobs import Job, decode, encode
from bot.slack.listeners import identity
from bot.slack.runtime import Background

log = structlog.get_logger(__name__)

INTERRUPTED = (
    ":warning: Offboard restarted while it was handling your last action, so it may not "
    "have finished. Check the request's card or `/offboard list` before trying again."
)
NOT_RUN = (
    ":warning: Offboard could not handle your last action (reference `{reference}`). "
    "Please try again."
)
_RAN = "offboard_job_ran"
NICENESS = 10  # nice(1): scheduled after the ack process whenever both want a core


class _RunHere(LazyListenerRunner):
    """Runs the job's lazy function in the job's thread and marks the request as run."""

    def __init__(self, app: App) -> None:
        self.logger = app.listener_runner.logger

    def start(self, function: Any, request: BoltRequest) -> None:
        # Jobs arrive lazy-only, so Bolt calls run(), never start().
        raise RuntimeError("the work process runs jobs, it does not start new ones")

    def run(self, function: Any, request: BoltRequest) -> None:
        request.context[_RAN] = True
        build_runnable_function(func=function, logger=self.logger, request=request)()


class Jobs:
    """Receives jobs from the ack process and runs them on ``threads`` threads."""

    def __init__(self, conn: Connection, app: App, slack: WebClient, threads: int) -> None:
        self._conn = conn
        self._app = app
        self._slack = slack
        self._send_lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[int, Job] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run_jobs, name=f"job-{i}", daemon=True)
            for i in range(threads)
        ]
        app.listener_runner.lazy_listener_runner = _RunHere(app)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        self.report({"ready": os.getpid()})

    def receive(self, stopped: threading.Event) -> None:
        """Queue jobs until ``stop``, the ack process going away, or ``stopped``."""
        while not stopped.is_set():
            try:
                message = decode(self._conn.recv_bytes())
            except (EOFError, OSError):
                break  # the ack process is gone: finish what we have
            if message.get("stop"):
                break
            self._queue.put((int(message["id"]), message["job"]))
        stopped.set()

    def finish(self) -> None:
        """Run every job received so far, then end the job threads."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def report(self, message: dict[str, Any]) -> None:
        # If the ack process is gone, nobody is waiting for the report.
        with self._send_lock, contextlib.suppress(OSError):
            self._conn.send_bytes(encode(message))

    def _run_jobs(self) -> None:
        while (item := self._queue.get()) is not None:
            job_id, job = item
            self.report({"started": job_id})
            try:
                self._run(job)
            except Exception:  # one job's failure must not end the thread that runs jobs
                log.exception("job_failed", function=job.function)
            finally:
                self.report({"done": job_id})

    def _run(self, job: Job) -> None:
        if job.interrupted:
            tell(self._slack, job.payload(), INTERRUPTED)
            return
        request = job.lazy_request()
        response = self._app.dispatch(request)
        if not request.context.get(_RAN):
            # Bolt matched no listener or no lazy function of that name: a bug (the two
            # processes run the same code), or a middleware refused the request.
            reference = secrets.token_hex(4)
            log.error(
                "job_not_run", function=job.function, status=response.status, reference=reference
            )
            tell(self._slack, job.payload(), NOT_RUN.format(reference=reference))


def tell(slack: WebClient, payload: dict[str, Any], text: str) -> None:
    """Tell the person behind ``payload`` something only they see.

    Through the payload's ``response_url`` when it has one ("Posts to response_url are
    ephemeral by default"), else in a DM (a modal submission names no channel).
    """
    user = identity.actor(payload).user_id
    response_url = payload.get("response_url")
    try:
        if isinstance(response_url, str) and response_url:
            WebhookClient(response_url, timeout=10).send(text=text, response_type="ephemeral")
        elif user:
            channel = slack.conversations_open(users=user)["channel"]["id"]
            slack.chat_postMessage(channel=channel, text=text)
    except SlackApiError as error:
        log.warning("notice_failed", slack_error=error.response.get("error"))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.slack.work_process")
    parser.add_argument("--fd", type=int, required=True, help="the socket from the ack process")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--no-metrics", dest="metrics", action="store_false")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logs.configure(args.log_level, json=not sys.stderr.isatty())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Work yields the CPU to acks: on a busy host the ack process runs first and the work
    # here catches up in its gaps (still far inside a trigger_id's 3 s; bench/ack.py).
    os.nice(NICENESS)
    stopped = threading.Event()

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, on_term)
    conn = Connection(args.fd)
    # Its cloud calls are timed into the multiprocess files the ack process's /metrics
    # reads (PROMETHEUS_MULTIPROC_DIR, inherited): the one process that calls the cloud.
    deps = build_deps(Settings(), metrics=args.metrics)
    jobs = Jobs(conn, create_work_app(deps), deps.slack, args.threads)
    background = Background(deps)
    background.start()
    jobs.start()
    log.info("work_process_ready", threads=args.threads)
    receiver = threading.Thread(target=jobs.receive, args=(stopped,), daemon=True)
    receiver.start()
    stopped.wait()
    jobs.finish()
    background.stop()
    deps.cloud.close()
    deps.repo.engine.dispose()
    conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Running the bot: HTTP or Socket Mode in front, the lazy work, the worker and announcer.

``offboard-bot serve`` calls :func:`serve`: two processes, one that answers Slack and a
work process behind it (:mod:`bot.slack.handoff`, :mod:`bot.slack.work_process`), so an
ack never waits for work that holds the interpreter. :class:`Runtime` is the same thing
as an object the demo, the tests and the benchmark start and stop in-process, in thread
mode (everything in this process) or in process mode.

Shutdown is graceful: stop taking requests, let the work process finish the jobs it has,
the announcer its pass and the worker its current step (an execution already sent is
finished or left for the next process to reconcile, never re-sent), then close clients.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

import structlog
from slack_bolt import App

from bot.approvals.policy import PolicyError
from bot.deps import Deps, build_deps
from bot.execution.worker import FollowPolicy, Worker
from bot.metrics import multiprocess_dir
from bot.plans.runner import PlanRunner
from bot.settings import Settings
from bot.slack.announcer import Announcer
from bot.slack.app import create_app
from bot.slack.handoff import WorkProcess, WorkProcessError
from bot.slack.http import HttpServer, make_wsgi_app
from bot.slack.probes import make_probe_app

log = structlog.get_logger(__name__)


class Background:
    """The worker and the announcer threads, woken by the bells in ``deps``.

    They run where the lazy listeners run (which ring the bells): in the work process
    under ``offboard-bot serve``, in this process in thread mode.
    """

    def __init__(
        self,
        deps: Deps,
        *,
        follow: FollowPolicy | None = None,
        worker_poll: float = 1.0,
        announcer_idle: float = 1.0,
    ) -> None:
        self.deps = deps
        owner = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self.worker = Worker(
            deps.repo,
            deps.cloud,
            owner=f"worker-{owner}",
            clock=deps.clock,
            rules=deps.policy,
            poll_seconds=worker_poll,
            wakeup=deps.worker_bell.event,
            follow=follow,
            catalog=deps.catalog,
        )
        self.announcer = Announcer(deps, owner=f"announcer-{owner}")
        # Member plans' gates run beside the worker, woken by the same bell (approvals).
        self.plans = PlanRunner(
            deps.repo, deps.cloud, owner=f"plans-{owner}", clock=deps.clock, rules=deps.policy
        )
        self._worker_poll = worker_poll
        self._announcer_idle = announcer_idle
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the worker and the announcer threads."""
        self._spawn("worker", lambda: self.worker.run_forever(self._stop))
        self._spawn(
            "plans",
            lambda: self.plans.run_forever(
                self._stop, self.deps.worker_bell.event, self._worker_poll
            ),
        )
        self._spawn(
            "announcer", lambda: self.announcer.run_forever(self._stop, self._announcer_idle)
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Let the announcer finish its pass and the worker its current step."""
        self._stop.set()
        self.deps.worker_bell.ring()
        self.deps.announcer_bell.ring()
        for thread in self._threads:
            thread.join(timeout)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)


class Runtime:
    """The app, where its lazy work runs, and (optionally) its HTTP server.

    Thread mode (no ``work``; tests and the demo): lazy listeners, the worker and the
    announcer run in this process. Process mode (``offboard-bot serve``): this process
    only answers Slack; ``work`` (a :class:`~bot.slack.handoff.WorkProcess`) runs the
    lazy listeners, the worker and the announcer.
    """

    def __init__(
        self,
        deps: Deps,
        *,
        follow: FollowPolicy | None = None,
        worker_poll: float = 1.0,
        announcer_idle: float = 1.0,
        http_threads: int = 8,
        work: WorkProcess | None = None,
    ) -> None:
        self.deps = deps
        self.work = work
        self.app: App = create_app(deps, handoff=work)
        self.background: Background | None = None
        if work is None:
            self.background = Background(
                deps, follow=follow, worker_poll=worker_poll, announcer_idle=announcer_idle
            )
        self._http_threads = http_threads
        self.http: HttpServer | None = None

    def start_background(self) -> None:
        """Start the work process (and wait until it is ready), or the background threads."""
        if self.work is not None:
            self.work.start()
        elif self.background is not None:
            self.background.start()

    def start_http(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve ``POST /slack/events``, ``GET /healthz`` and ``GET /metrics`` in a thread;
        returns the URL."""
        secret = self.deps.settings.slack_signing_secret
        assert secret is not None  # create_app refused to build without it
        wsgi = make_wsgi_app(
            self.app,
            self.deps.repo.ping,
            secret.get_secret_value(),
            metrics=self.deps.metrics.wsgi(),
        )
        self.http = HttpServer(wsgi, host=host, port=port, threads=self._http_threads)
        return self.http.start()

    def start_probes(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve only ``GET /healthz`` and ``GET /metrics`` (Socket Mode's
        ``OFFBOARD_METRICS_PORT``) in a thread; returns the URL."""
        wsgi = make_probe_app(self.deps.repo.ping, self.deps.metrics.wsgi())
        self.http = HttpServer(wsgi, host=host, port=port, threads=2)
        return self.http.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop HTTP first (no new work), then the work process or the background threads."""
        if self.http is not None:
            self.http.stop()
        if self.work is not None:
            self.work.stop(timeout)
        if self.background is not None:
            self.background.stop(timeout)
        self.deps.cloud.close()


def _refuse(why: str) -> NoReturn:
    print(f"offboard: refusing to start: {why}", file=sys.stderr)
    raise SystemExit(2)


def serve(
    settings: Settings, *, force_http: bool = False, host: str, port: int, metrics: bool = True
) -> None:
    """Run until SIGINT/SIGTERM: Socket Mode when SLACK_APP_TOKEN is set, else HTTP.

    ``metrics=False`` (``bench/rss.py``'s baseline only) never loads prometheus-client.
    """
    if not metrics:
        _serve(settings, force_http=force_http, host=host, port=port, metrics=False)
        return
    # Both processes write their timings where the ack process's /metrics reads them.
    with multiprocess_dir():
        _serve(settings, force_http=force_http, host=host, port=port, metrics=True)


def _serve(settings: Settings, *, force_http: bool, host: str, port: int, metrics: bool) -> None:
    deps = _checked_deps(settings, metrics=metrics)
    # The work process reads the same settings from the same environment (inherited).
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    runtime = Runtime(deps, work=WorkProcess(log_level=level, metrics=metrics))
    stopped = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stopped.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        runtime.start_background()
    except WorkProcessError as error:
        _refuse(str(error))
    # Everything built so far lives as long as the process: keep it out of the garbage
    # collector's full passes, whose pauses would otherwise land on some acks.
    gc.freeze()
    # The threads here are waitress's, the hand-off's sender and its supervisor; a 1 ms
    # GIL switch interval (default 5 ms) keeps an ack from queueing behind one of them.
    sys.setswitchinterval(0.001)
    if settings.slack_app_token is not None and not force_http:
        # Socket Mode: Slack sends everything over the WebSocket, nothing over HTTP.
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(runtime.app, settings.slack_app_token.get_secret_value())
        handler.connect()  # type: ignore[no-untyped-call]
        probes = None
        if settings.metrics_port is not None:
            probes = runtime.start_probes(host, settings.metrics_port)
        log.info("serving", mode="socket", metrics=probes)
        stopped.wait()
        handler.close()  # type: ignore[no-untyped-call]
    else:
        url = runtime.start_http(host, port)
        log.info("serving", mode="http", url=url)
        stopped.wait()
    runtime.stop()


def _checked_deps(settings: Settings, *, metrics: bool = True) -> Deps:
    """The collaborators, once the settings are complete and the policy can be met."""
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
            ("OFFBOARD_APPROVAL_CHANNEL", settings.approval_channel),
        )
        if not value
    ]
    if missing:
        _refuse(f"{', '.join(missing)} must be set (docs/INTERFACE.md, Environment).")
    deps = build_deps(settings, metrics=metrics)
    try:
        deps.policy.check_satisfiable()
    except PolicyError as error:
        _refuse(str(error))
    return deps

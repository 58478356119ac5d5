"""The Bolt application, built from :class:`~bot.deps.Deps` (no globals).

"Ack first, work after" is built from Bolt's ack and lazy listeners: every listener is
an ack function (fast and pure: parse, validate, ``ack()``), run in the request's own
thread so the HTTP (or Socket Mode) reply goes out the moment it returns, plus lazy
functions for everything slow (cloud calls, database writes, Slack posts). Where the
lazy functions run is the one difference between the three apps built here:

- :func:`create_app` without ``handoff`` (thread mode: tests, the demo): on a thread pool
  in this process, after the ack;
- :func:`create_app` with ``handoff`` (``offboard-bot serve``, the ack process): nowhere
  here; each becomes a job for the work process (:mod:`bot.slack.handoff`);
- :func:`create_work_app` (the work process): run one at a time, as jobs arrive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.util.utils import get_name_for_callable

from bot.deps import Deps
from bot.metrics import Recorder
from bot.slack.handoff import WorkProcess, install
from bot.slack.listeners import actions, commands, errors, home, plans, step_up
from bot.slack.listeners import views as view_submissions

# Threads for the lazy (after-ack) work in thread mode. Acks never wait for them; more
# threads only add GIL contention with the threads that ack.
LISTENER_THREADS = 8


def create_app(
    deps: Deps, *, logger: logging.Logger | None = None, handoff: WorkProcess | None = None
) -> App:
    """A Bolt ``App`` that answers Slack, with every Offboard listener registered.

    The signing secret is required: Bolt verifies ``X-Slack-Signature`` over the raw
    body and refuses stale timestamps (5 minutes) before any listener sees a request.
    With ``handoff``, lazy functions are handed to that work process instead of run.
    """
    app = _build(deps, logger, verify=True)
    app.middleware(AckTimer(deps.metrics))
    # A request from outside that claims to be lazy-only would skip the ack and run work
    # in the process that answers Slack (headers are not signed); only the work process
    # takes those, from us.
    app.middleware(_RefuseLazyOnly())
    if handoff is not None:
        install(app, handoff)
    return app


def create_work_app(deps: Deps, *, logger: logging.Logger | None = None) -> App:
    """The work process's app: the same listeners, dispatched lazy-only by job.

    Its requests come from the ack process over a private socket pair, after that
    process checked their signature; they are not checked again, so a job that waited
    through a restart is not refused for being older than Slack's 5 minutes.
    """
    return _build(deps, logger, verify=False)


def check_lazy_names(app: App) -> None:
    """Refuse a listener with two lazy functions of the same name.

    A job names its lazy function the way Bolt does (``get_name_for_callable``: the
    ``__name__``, so two closures called ``run`` look alike), and the work process runs
    the first function of the matched listener with that name. Names need only be
    unique within a listener: the listener itself is matched again from the payload.
    """
    for listener in app._listeners:  # Bolt has no public accessor for its listeners
        names = [get_name_for_callable(f) for f in listener.lazy_functions]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"lazy functions of one listener share a name: {twice}")


def _build(deps: Deps, logger: logging.Logger | None, *, verify: bool) -> App:
    secret = deps.settings.slack_signing_secret
    if secret is None:
        raise ValueError("SLACK_SIGNING_SECRET is not set")
    app = App(
        client=deps.slack,
        signing_secret=secret.get_secret_value(),
        logger=logger or logging.getLogger("bot.slack.app"),
        request_verification_enabled=verify,
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="listener"
        ),
        # Ack functions answer Slack as soon as they return; the slow part of each
        # listener is a lazy listener run afterwards (Bolt's documented pattern). The
        # reply never waits for that work, nor for a free executor thread behind it.
        process_before_response=True,
        # Unknown requests are answered 404 instead of raising.
        raise_error_for_unhandled_request=False,
    )
    errors.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
    view_submissions.register(app, deps)
    step_up.register(app, deps)
    home.register(app, deps)
    plans.register(app, deps)
    check_lazy_names(app)
    return app


class _RefuseLazyOnly(Middleware):
    """400 for a request carrying Bolt's lazy-only headers (Slack never sends them)."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if req.lazy_only or req.lazy_function_name:
            return BoltResponse(status=400, body={"error": "lazy-only requests are not taken"})
        return next()


# Payload kinds an ack is labelled with; anything else is "other" (labels stay few).
_KINDS = frozenset(
    {"block_actions", "view_submission", "view_closed", "block_suggestion", "event_callback"}
)


class AckTimer(Middleware):
    """Times every request from Bolt's first middleware of ours to the ack (listeners' ack
    functions run inside ``next()``, lazy work is handed off) into
    ``offboard_ack_duration_seconds``, in HTTP and in Socket Mode alike."""

    def __init__(self, metrics: Recorder) -> None:
        self.metrics = metrics

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        started = time.perf_counter()
        try:
            return next()
        finally:
            body = req.body if isinstance(req.body, dict) else {}
            kind = "command" if body.get("command") else str(body.get("type") or "")
            kind = kind if kind == "command" or kind in _KINDS else "other"
            self.metrics.ack(kind, time.perf_counter() - started)

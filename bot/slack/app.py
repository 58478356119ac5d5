"""The Bolt application, built from :class:`~bot.deps.Deps` (no globals).

"Ack first, work after" is built from Bolt's ack and lazy listeners: every listener is
an ack function (fast and pure: parse, validate, ``ack()``), run in the request's own
thread so the HTTP (or Socket Mode) reply goes out the moment it returns, plus lazy
functions that Bolt runs on the listener executor afterwards for everything slow (cloud
calls, database writes, Slack posts). In Bolt's default mode the ack itself would wait
for a free executor thread, i.e. behind other requests' slow work.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App

from bot.deps import Deps
from bot.slack.listeners import actions, commands, errors, step_up
from bot.slack.listeners import views as view_submissions

# Threads for the lazy (after-ack) work: pre-checks, database writes, Slack posts. Acks
# never wait for them; more threads only add GIL contention with the threads that ack.
LISTENER_THREADS = 8


def create_app(deps: Deps, *, logger: logging.Logger | None = None) -> App:
    """A Bolt ``App`` with every Offboard listener registered against ``deps``.

    The signing secret is required: Bolt verifies ``X-Slack-Signature`` over the raw
    body and refuses stale timestamps (5 minutes) before any listener sees a request.
    """
    secret = deps.settings.slack_signing_secret
    if secret is None:
        raise ValueError("SLACK_SIGNING_SECRET is not set")
    app = App(
        client=deps.slack,
        signing_secret=secret.get_secret_value(),
        logger=logger or logging.getLogger("bot.slack.app"),
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="listener"
        ),
        # Ack functions answer Slack as soon as they return; the slow part of each
        # listener is a lazy listener run on the executor afterwards (Bolt's documented
        # pattern). The HTTP reply never waits for that work, nor for a free executor
        # thread behind it.
        process_before_response=True,
        # Unknown requests are answered 404 instead of raising.
        raise_error_for_unhandled_request=False,
    )
    errors.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
    view_submissions.register(app, deps)
    step_up.register(app, deps)
    return app

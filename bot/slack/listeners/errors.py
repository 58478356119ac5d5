"""The one error handler: our error types in words for people, a reference for the rest.

Listeners do not catch-and-log. Whatever they raise lands here (Bolt's ``app.error``).
The three error roots are mapped in :func:`words_for`, and only there:
``commands.errors.OffboardError`` (bad input, the cloud), ``storage.errors.StorageError``
(a request that is not there, a change that lost a race) and ``bot.errors.BotError``
(a policy that cannot work, a work process that did not start): each is told to the
person who acted, in words. Anything else gets a short correlation id, which is also
logged with the traceback so an operator can find it. Secrets never reach either: our
errors are built from codes and ids, and Slack errors are reduced to Slack's error code.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.errors import BotError
from bot.slack.listeners import identity
from bot.slack.views.replies import refusal
from commands.errors import ApiError, CloudError, OffboardError, ParameterError
from storage.errors import ConcurrentChange, RequestNotFound, StorageError

log = structlog.get_logger(__name__)


def words_for(error: Exception) -> tuple[str, str | None]:
    """What to tell the person, and a correlation id when the error was unexpected."""
    if isinstance(error, OffboardError):
        return _commands_words(error), None
    if isinstance(error, StorageError):
        return _storage_words(error), None
    if isinstance(error, BotError):
        return str(error), None
    if isinstance(error, SlackApiError):
        code = error.response.get("error") if error.response is not None else None
        return f"Slack refused a call ({code or 'no error code'}).", None
    reference = secrets.token_hex(4)
    return f"Something went wrong on our side (reference `{reference}`).", reference


def _commands_words(error: OffboardError) -> str:
    if isinstance(error, ParameterError):
        return f"Some values are not valid: {error}"
    if isinstance(error, ApiError):
        return f"Alibaba Cloud refused a call: {error}"
    if isinstance(error, CloudError):
        return f"Alibaba Cloud could not be reached ({type(error).__name__})."
    return str(error)  # credentials: the message names the variable, never a value


def _storage_words(error: StorageError) -> str:
    if isinstance(error, RequestNotFound):
        return f"There is no request {error.request_id}."
    if isinstance(error, ConcurrentChange):
        return "Too many people acted on this request at once; please try again."
    return str(error)  # built from ids and guard names, never from values people typed


def register(app: App, deps: Deps) -> None:
    @app.error
    def handle(
        error: Exception, body: dict[str, Any], response: BoltResponse | None
    ) -> BoltResponse | None:
        text = _logged(error, body)
        if response is not None and response.status >= 500:
            # Failed before ack: Slack shows a 200 body of a slash command to the user,
            # and "don't return 500 for a processing error" (slash-commands#responding).
            return BoltResponse(status=200, body=_ack_body(body, text))
        tell(deps.slack, body, text)
        return None


def reported(deps: Deps, work: Callable[..., None]) -> Callable[..., None]:
    """Wrap a lazy listener (work after the ack) so its errors are reported like app.error's.

    Bolt only logs what a lazy listener raises; this sends it to the same words and
    correlation ids. ``work`` must take ``body`` (Bolt injects arguments by name and
    follows ``__wrapped__``).
    """

    @functools.wraps(work)
    def run(**kwargs: Any) -> None:
        try:
            work(**kwargs)
        except Exception as error:  # the one place lazy listeners' errors are reported
            tell(deps.slack, kwargs["body"], _logged(error, kwargs["body"]))

    return run


def _logged(error: Exception, body: dict[str, Any]) -> str:
    text, reference = words_for(error)
    log.error(
        "listener_failed",
        error_type=type(error).__name__,
        reference=reference,
        payload_type=body.get("type") or body.get("command"),
        exc_info=reference is not None,
    )
    return text


def _ack_body(body: Mapping[str, Any], text: str) -> str | dict[str, Any]:
    if body.get("command"):
        return {"response_type": "ephemeral", "text": refusal(text)}
    return ""


def tell(client: WebClient, body: Mapping[str, Any], text: str) -> None:
    """Tell the person behind ``body`` something only they see, wherever they are."""
    user = identity.actor(body).user_id
    channel = _channel(body)
    if not user:
        return
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=refusal(text))
        else:  # a modal submission has no channel: a DM is the one place to say it
            opened = client.conversations_open(users=user)
            client.chat_postMessage(channel=opened["channel"]["id"], text=refusal(text))
    except SlackApiError as error:
        # Already reporting an error: a second one is logged, not raised into Bolt.
        log.warning("error_report_failed", slack_error=error.response.get("error"))


def _channel(body: Mapping[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, Mapping):
        return str(channel.get("id") or "") or None
    container = body.get("container")
    if isinstance(container, Mapping) and container.get("channel_id"):
        return str(container["channel_id"])
    return str(body.get("channel_id") or "") or None

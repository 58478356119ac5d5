"""The one exception tree of the signed-API core.

    OffboardError
     ├── ParameterError          bad input; ``field_errors`` keyed by API parameter name
     ├── CredentialsError        no usable local credentials
     ├── ListingTooLong          a paged listing past its page limit (commands.member_plan.reads)
     ├── ReadFailed              a plan's read that failed, with what it said (the same)
     └── CloudError
          ├── ApiError           the cloud answered with an error (carries a CallResult)
          │    ├── AuthError         signature, AccessKey or permission refused
          │    ├── ThrottledError    throttled (HTTP 429, Throttling*)
          │    ├── NotFoundError     HTTP 404, EntityNotExists*, *NotExist*
          │    ├── ConflictError     HTTP 409 and other precondition failures
          │    └── ServerError       HTTP 5xx
          ├── NetworkError       provably never reached the server: safe to retry
          └── OutcomeUnknownError  sent, but no answer: never re-send, reconcile

A Code the operation's API page documents is classed by the HTTP status the page gives
it (``AccountNotExist.DeleteAccount``: 409, a ``ConflictError``); the patterns above
class only undocumented codes (``commands.responses.error_for``).

Foreign exceptions (httpx) are translated in one place, ``commands.client``. No message
in this tree ever contains a secret: they are built from codes, ids and our own words.
Outside the tree on purpose: ``commands.sandbox.errors.SandboxError``, how the sandbox
cloud's handlers answer with an error body (it never leaves the sandbox's server). The
bot's Slack error handler maps this root with ``storage.errors`` and ``bot.errors`` in
one place (``bot.slack.listeners.errors``); ``tests/test_errors.py`` keeps it closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from commands.responses import CallResult


class OffboardError(Exception):
    """Base of every error Offboard raises on purpose."""


class ParameterError(OffboardError):
    """Input that the API page forbids; every field error at once."""

    def __init__(self, field_errors: Mapping[str, str]) -> None:
        self.field_errors: dict[str, str] = dict(field_errors)
        super().__init__(
            "; ".join(f"{name}: {message}" for name, message in self.field_errors.items())
        )


class CredentialsError(OffboardError):
    """No usable AccessKey; the message names the variable, never a value."""


class CloudError(OffboardError):
    """Anything that went wrong talking to Alibaba Cloud."""


class ApiError(CloudError):
    """The cloud answered and refused. Renders itself for people."""

    def __init__(self, result: CallResult) -> None:
        self.result = result
        super().__init__(self.render())

    @property
    def code(self) -> str | None:
        return self.result.code

    @property
    def message(self) -> str | None:
        return self.result.message

    @property
    def request_id(self) -> str | None:
        return self.result.request_id

    @property
    def recommend(self) -> str | None:
        return self.result.recommend

    @property
    def http_status(self) -> int:
        return self.result.http_status

    def render(self) -> str:
        text = f"{self.result.code or 'Error'}: {self.result.message or 'no message'}"
        text += f" (HTTP {self.result.http_status}"
        if self.result.request_id:
            text += f", RequestId {self.result.request_id}"
        return text + ")"


class AuthError(ApiError):
    """Signature, AccessKey or permission refused."""


class ThrottledError(ApiError):
    """The cloud asked us to slow down."""


class NotFoundError(ApiError):
    """The named resource does not exist."""


class ConflictError(ApiError):
    """A documented precondition is not met (HTTP 409 and kin)."""


class ServerError(ApiError):
    """The cloud failed (HTTP 5xx)."""


class NetworkError(CloudError):
    """The request provably never reached the server (e.g. connection refused)."""


class OutcomeUnknownError(CloudError):
    """The request may have reached the server but no answer came back."""

"""What the cloud answered, as a value: ``CallResult`` and its error class.

Every product answers JSON with ``RequestId`` and, on errors, ``Code``/``Message`` (and
usually ``Recommend``, a diagnosis link). BssOpenApi also answers ``Success``: "Success
false" is an error even at HTTP 200. ``error_for`` maps a failed result onto the tree of
``commands.errors``: by the status the operation's API page gives a documented code, by
generic rules (code patterns, then the HTTP status) for any other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from commands.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    ServerError,
    ThrottledError,
)

__all__ = ["CallResult", "error_for", "parse_body", "result_from"]


@dataclass(frozen=True)
class CallResult:
    """One answer of the cloud, normalised across products.

    ``code`` is the product's Code (``"200"`` for BssOpenApi successes, ``None`` for most
    ResourceManager successes), ``request_id`` the cloud's RequestId, ``recommend`` the
    error's Recommend link, ``body`` the whole JSON object.
    """

    http_status: int
    code: str | None
    message: str | None
    request_id: str | None
    recommend: str | None
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None  # seconds a throttled answer asked us to wait

    @property
    def ok(self) -> bool:
        """HTTP 2xx and not ``"Success": false`` (BssOpenApi's way of failing at 200)."""
        return 200 <= self.http_status < 300 and self.body.get("Success") is not False


def parse_body(content: bytes) -> dict[str, Any] | None:
    """The JSON object of a response body, or ``None`` when it is not one."""
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _text(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if value is not None and value != "":
            return str(value)
    return None


def _retry_after(header: str | None) -> float | None:
    # ``x-acs-retry-after`` is a positive whole number of milliseconds; anything else
    # is ignored, as the official SDKs ignore it.
    try:
        millis = int(header) if header else 0
    except ValueError:
        return None
    return millis / 1000 if millis > 0 else None


def result_from(
    http_status: int, body: dict[str, Any], *, retry_after: str | None = None
) -> CallResult:
    """Normalise a JSON answer (either spelling: ``Code`` or ``code``, ...)."""
    return CallResult(
        http_status=http_status,
        code=_text(body, "Code", "code"),
        message=_text(body, "Message", "message"),
        request_id=_text(body, "RequestId", "requestId"),
        recommend=_text(body, "Recommend", "recommend"),
        body=body,
        retry_after=_retry_after(retry_after),
    )


_AUTH_CODE_PREFIXES = (
    "Signature",
    "IncompleteSignature",
    "InvalidAccessKeyId",
    "InvalidSecurityToken",
    "Forbidden",
    "NoPermission",
    "NotAuthorized",
)


def _by_status(result: CallResult, status: int) -> ApiError:
    if status == 429:
        return ThrottledError(result)
    if status in (401, 403):
        return AuthError(result)
    if status == 404:
        return NotFoundError(result)
    if status == 409:
        return ConflictError(result)
    if status >= 500:
        return ServerError(result)
    return ApiError(result)


def error_for(result: CallResult, documented_status: int | None = None) -> ApiError:
    """The ``ApiError`` subclass for a failed result (``result.ok`` is false).

    ``documented_status`` is the HTTP status the operation's API page gives this Code
    (``OperationSpec.documented_status``): when there is one, it decides, so the page's
    409 ``AccountNotExist.DeleteAccount`` is a conflict, not a not-found. For codes no
    page documents, codes are checked before statuses: a ``Throttling.User`` at HTTP 400
    is throttling, a ``SignatureDoesNotMatch`` is an auth error whatever the status.
    """
    if documented_status is not None:
        return _by_status(result, documented_status)
    code = result.code or ""
    status = result.http_status
    if code.startswith("Throttling") or status == 429:
        return ThrottledError(result)
    if code.startswith(_AUTH_CODE_PREFIXES) or status in (401, 403):
        return AuthError(result)
    if (
        status == 404
        or code.startswith("EntityNotExists")
        or "NotExist" in code
        or code.endswith(".NotFound")
    ):
        return NotFoundError(result)
    return _by_status(result, status)

"""CloudClient: build, sign and send one API call; the answer comes back as a value.

The spec (``commands.catalog``) says what to call: ``action``, ``product``, ``version``,
``serialize(params)`` (flat parameters exactly as the official SDK sends them),
``regional`` and ``changes_cloud(params)``. Like the official SDKs for these RPC
products (``style='RPC'``, ``method='POST'``, every parameter in ``query``), we POST to
``/`` with the parameters in the query string and an empty body.

httpx exceptions are translated here and nowhere else (see ``commands.errors``).
Retries are bounded, with exponential backoff and jitter (``commands.retrying``):

- read-only calls retry throttling, 5xx and NetworkError;
- calls that change the cloud (writes and destructive calls) retry only NetworkError (the
  request provably never left);
- OutcomeUnknownError is never retried: the caller must reconcile.

Each attempt is signed afresh (new ``x-acs-date`` and nonce): the cloud refuses a
nonce it has seen, and an attempt that never reached it leaves nothing to conflict with.

A caller that must finish by a time (the worker, inside its lease) passes ``deadline``
and ``before_attempt`` to :meth:`CloudClient.call`: each attempt's timeouts are cut so
the attempt fits in what is left, no wait runs past the deadline, and ``before_attempt``
(a lease confirmation, say) can stop an attempt before it is signed and sent.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Protocol

import httpx
from pydantic import BaseModel

from commands.credentials import CredentialsProvider
from commands.endpoints import Product, resolve_endpoint
from commands.errors import ApiError, CloudError, NetworkError, OutcomeUnknownError, ParameterError
from commands.responses import CallResult, error_for, parse_body, result_from
from commands.retrying import BeforeAttempt, Budget, retrying, timeout_within
from commands.signing import (
    AcsV3Auth,
    canonical_query,
    new_nonce,
    parse_authorization,
    utcnow,
)

__all__ = ["BeforeAttempt", "CallObserver", "CallResult", "CloudClient", "SpecLike", "utcnow"]

#: Told of each attempt: (action, the API's Code or ``OK``, or the error's class name for
#: an attempt without an answer, seconds). The bot's metrics listen; commands knows none.
CallObserver = Callable[[str, str, float], None]

log = logging.getLogger(__name__)

USER_AGENT = "offboard/0.1 (+signature v3)"


class SpecLike(Protocol):
    """What the client needs of an ``OperationSpec`` (see docs/ARCHITECTURE.md)."""

    @property
    def action(self) -> str: ...
    @property
    def product(self) -> Product: ...
    @property
    def version(self) -> str: ...
    @property
    def regional(self) -> bool: ...
    def serialize(self, params: Any, /) -> dict[str, str]: ...
    def changes_cloud(self, params: BaseModel, /) -> bool: ...
    def documented_status(self, code: str | None, /) -> int | None: ...


# Connection-phase failures: no byte of the request reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class CloudClient:
    """Signed calls to Alibaba Cloud (or to ``endpoint_override``, e.g. the sandbox).

    ``clock`` and ``nonce`` feed the signature; ``max_attempts``, ``backoff`` (seconds,
    the exponential base of the jittered wait) and ``sleep`` bound the retries.
    """

    def __init__(
        self,
        credentials: CredentialsProvider,
        *,
        endpoint_override: str | None = None,
        bss_site: Literal["china", "international"] = "china",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        nonce: Callable[[], str] = new_nonce,
        max_attempts: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        observer: CallObserver | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        # Fail at start-up, not on the first approved call: a bad override or site.
        resolve_endpoint(Product.BSS, None, site=bss_site, override=endpoint_override)
        self._credentials = credentials
        self._override = endpoint_override
        self._bss_site: Literal["china", "international"] = bss_site
        self._clock = clock
        self._nonce = nonce
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._sleep = sleep
        self._observer = observer
        # Connecting is quick or hopeless; reading may wait on a slow API.
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._http = httpx.Client(
            timeout=self._timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def observe(self, observer: CallObserver | None) -> None:
        """Tell ``observer`` of every attempt from now on (None: stop telling)."""
        self._observer = observer

    def endpoint_for(self, spec: SpecLike, params: BaseModel) -> str:
        """The base URL this call goes to (``RegionId`` picks Bastionhost's).

        A regional operation without a usable ``RegionId`` (and no override) is a
        ``ParameterError`` keyed ``RegionId``: the endpoint cannot be known without it.
        """
        region = getattr(params, "RegionId", None) if spec.regional else None
        try:
            return resolve_endpoint(
                spec.product, region, site=self._bss_site, override=self._override
            )
        except ValueError:
            # The override and the site were checked in __init__: only RegionId is left.
            raise ParameterError(
                {"RegionId": f"Required: {spec.product} endpoints are regional."}
            ) from None

    def build_request(self, spec: SpecLike, params: BaseModel) -> httpx.Request:
        """The signed request for one call (fresh date and nonce)."""
        query = canonical_query(spec.serialize(params))
        url = f"{self.endpoint_for(spec, params)}/" + (f"?{query}" if query else "")
        request = httpx.Request(
            "POST", url, headers={"accept": "application/json", "user-agent": USER_AGENT}
        )
        auth = AcsV3Auth(
            self._credentials.get(),
            action=spec.action,
            version=spec.version,
            clock=self._clock,
            nonce=self._nonce,
        )
        auth.sign(request)
        return request

    def call(
        self,
        spec: SpecLike,
        params: BaseModel,
        *,
        deadline: float | None = None,
        before_attempt: BeforeAttempt | None = None,
    ) -> CallResult:
        """Make the call; the successful ``CallResult`` or a ``CloudError`` subclass.

        ``deadline`` is a ``time.monotonic()`` instant the whole call, every attempt and
        wait included, must end by. ``before_attempt`` runs before each attempt is signed
        (see :data:`BeforeAttempt`). Each attempt's timeouts are cut to the smaller of
        the two; with no time left the attempt is not sent (``NetworkError``) and no
        other is made.
        """
        budget = Budget(deadline, before_attempt)
        policy = retrying(
            changes_cloud=spec.changes_cloud(params),
            max_attempts=self._max_attempts,
            backoff=self._backoff,
            sleep=self._sleep,
            give_up=budget.give_up if deadline is not None or before_attempt else None,
        )
        for attempt in policy:
            with attempt:
                number = attempt.retry_state.attempt_number
                seconds = budget.for_attempt()
                if seconds <= 0:
                    raise NetworkError(f"{spec.action}: not sent, no time left before its deadline")
                return self._timed(spec, params, number, seconds)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _timed(self, spec: SpecLike, params: BaseModel, attempt: int, seconds: float) -> CallResult:
        """One attempt; its duration and result code go to the observer."""
        started = time.monotonic()
        try:
            result = self._call_once(spec, params, attempt, seconds)
        except CloudError as error:
            code = error.code if isinstance(error, ApiError) else None
            self._tell(spec.action, code or type(error).__name__, started)
            raise
        self._tell(spec.action, result.code or "OK", started)
        return result

    def _tell(self, action: str, code: str, started: float) -> None:
        if self._observer is not None:
            self._observer(action, code, time.monotonic() - started)

    def _call_once(
        self, spec: SpecLike, params: BaseModel, attempt: int, seconds: float = math.inf
    ) -> CallResult:
        request = self.build_request(spec, params)
        if seconds < math.inf:
            request.extensions["timeout"] = timeout_within(self._timeout, seconds).as_dict()
        response = self._send(request)
        body = parse_body(response.content)
        if body is None:
            if response.is_success:
                # It answered 2xx but not with JSON: whatever it did is unknown to us.
                raise OutcomeUnknownError(
                    f"{spec.action}: HTTP {response.status_code} without a JSON body"
                )
            body = {}
        result = result_from(
            response.status_code, body, retry_after=response.headers.get("x-acs-retry-after")
        )
        log.info(
            "cloud call %s attempt %d: HTTP %d code=%s request_id=%s",
            spec.action,
            attempt,
            result.http_status,
            result.code,
            result.request_id,
        )
        if not result.ok:
            raise error_for(result, spec.documented_status(result.code))
        return result

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send one request; the one place httpx exceptions become ours."""
        host = request.url.host
        try:
            response = self._http.send(request)  # not streamed: the body is read here
        except _NOT_SENT as exc:
            raise NetworkError(f"could not reach {host}: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            # Read/write timeouts, resets, protocol and decoding errors: bytes may have
            # reached the server, so what it did is unknown.
            raise OutcomeUnknownError(
                f"{host} did not answer after the request was sent: {type(exc).__name__}"
            ) from None
        return response

    def describe(self, request: httpx.Request) -> str:
        """The signed request for people; the Signature and any STS token are masked."""
        lines = [f"{request.method} {request.url.scheme}://{request.url.netloc.decode()}/"]
        params = request.url.params.multi_items()
        if params:
            lines.append("Parameters (as signed):")
            lines.extend(f"  {name} = {value}" for name, value in params)
        lines.append("Headers:")
        for name, value in sorted(request.headers.items()):
            if name == "authorization":
                value = _mask_authorization(value)
            elif name == "x-acs-security-token":
                value = "***"
            lines.append(f"  {name}: {value}")
        if request.content:
            lines.append("Body:")
            lines.append("  " + request.content.decode("utf-8", "replace"))
        return "\n".join(lines)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> CloudClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CloudClient(endpoint_override={self._override!r}, bss_site={self._bss_site!r})"


def _mask_authorization(value: str) -> str:
    try:
        parsed = parse_authorization(value)
    except ValueError:
        return "***"
    return (
        f"ACS3-HMAC-SHA256 Credential={parsed.key_id},"
        f"SignedHeaders={';'.join(parsed.signed_headers)},Signature=***"
    )

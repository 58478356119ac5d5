"""Alibaba Cloud signature V3 (``ACS3-HMAC-SHA256``) as small pure steps.

Each function is one step of Alibaba's "Request syntax and signature method V3"
document and takes plain values, so a step can be checked against the document's
worked example on its own:

    canonical_query / canonical_headers / hashed_payload
        -> canonical_request -> string_to_sign -> signature -> authorization

``expected_signature`` is the server side (the sandbox cloud): it recomputes a received
request's signature from the headers its ``SignedHeaders`` names. ``AcsV3Auth`` is the
thin ``httpx.Auth`` that adds the common headers and ``Authorization`` to one outgoing
request. The clock and nonce are passed in, never module globals: tests need no patching.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote_from_bytes

import httpx

from commands.credentials import Credentials

__all__ = [
    "ALGORITHM",
    "REQUIRED_SIGNED_HEADERS",
    "AcsV3Auth",
    "ParsedAuthorization",
    "authorization",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "expected_signature",
    "format_date",
    "hashed_payload",
    "new_nonce",
    "parse_authorization",
    "percent_encode",
    "signature",
    "string_to_sign",
    "utcnow",
]

log = logging.getLogger(__name__)

ALGORITHM = "ACS3-HMAC-SHA256"

# The common headers every request we sign carries; a verifier should insist on them (a
# request that leaves x-acs-date or the nonce unsigned could be replayed).
REQUIRED_SIGNED_HEADERS: tuple[str, ...] = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding as the V3 document requires.

    "Letters, digits, hyphens (-), underscores (_), periods (.), and tildes (~) do not
    need to be encoded. Other characters must be percent-encoded": a space is ``%20``,
    ``*`` is ``%2A`` and ``~`` stays ``~``. UTF-8 is used for non-ASCII text.
    """
    if _UNRESERVED(value):
        return value  # the common case (ids, names): nothing to encode, skip quote()
    return quote_from_bytes(value.encode("utf-8"), "~")


_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*").fullmatch


def canonical_query(pairs: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    """CanonicalQueryString: encoded ``name=value`` pairs joined by ``&``.

    "Sort all request parameters by parameter name in alphabetical order", encode names
    and values, and "for a parameter without a value, use an empty string". Sorting is by
    encoded name (then value, so repeated names stay deterministic). Empty query -> "".
    """
    items = pairs.items() if isinstance(pairs, dict | Mapping) else pairs
    encoded = sorted([(percent_encode(name), percent_encode(value)) for name, value in items])
    return "&".join([f"{name}={value}" for name, value in encoded])


def _is_signed_header(name: str) -> bool:
    # The document: sign the headers "that start with x-acs-, the Host header, and the
    # Content-Type header"; Authorization itself is never part of the signature.
    return name.startswith("x-acs-") or name == "host" or name == "content-type"


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """CanonicalHeaders and SignedHeaders for ``host``, ``content-type`` and ``x-acs-*``.

    Returns ``(block, signed_headers)``: the block is ``name:value\\n`` per header, names
    lower-cased and sorted, values trimmed; ``signed_headers`` is the names joined by ``;``.
    Other headers (user-agent, accept, ...) are left out.
    """
    lowered = [(name.lower(), value.strip()) for name, value in headers.items()]
    chosen = sorted((name, value) for name, value in lowered if _is_signed_header(name))
    block = "".join([f"{name}:{value}\n" for name, value in chosen])
    return block, ";".join([name for name, _ in chosen])


def hashed_payload(body: bytes) -> str:
    """HashedRequestPayload: lower-case hex SHA-256 of the body (``b""`` when none)."""
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    canonical_query: str,
    canonical_headers: str,
    signed_headers: str,
    payload_hash: str,
) -> str:
    """CanonicalRequest: the six parts joined by newlines.

    ``path`` is the already-encoded CanonicalURI ("If the API style is RPC, use a forward
    slash (/)"); ``canonical_headers`` is the block that already ends with ``\\n``, so
    the document's blank line after the headers appears naturally.
    """
    return (
        f"{method.upper()}\n{path or '/'}\n{canonical_query}\n"
        f"{canonical_headers}\n{signed_headers}\n{payload_hash}"
    )


def string_to_sign(canonical_request: str) -> str:
    """StringToSign = ``ACS3-HMAC-SHA256`` + newline + hex SHA-256 of the canonical request."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{digest}"


def signature(secret: str, string_to_sign: str) -> str:
    """Signature = HexEncode(HMAC-SHA256(AccessKey secret, StringToSign))."""
    return hmac.digest(secret.encode("utf-8"), string_to_sign.encode("utf-8"), "sha256").hex()


def authorization(key_id: str, signed_headers: str, signature: str) -> str:
    """The ``Authorization`` header value of the document's step 4."""
    return f"{ALGORITHM} Credential={key_id},SignedHeaders={signed_headers},Signature={signature}"


@dataclass(frozen=True)
class ParsedAuthorization:
    """The three fields of a received ``Authorization: ACS3-HMAC-SHA256 ...`` value."""

    key_id: str
    signed_headers: tuple[str, ...]
    signature: str

    def __repr__(self) -> str:
        # The signature is secret-derived: keep it out of logs and tracebacks.
        return (
            f"ParsedAuthorization(key_id={self.key_id!r}, "
            f"signed_headers={self.signed_headers!r}, signature='***')"
        )


_AUTHORIZATION = re.compile(
    rf"^{re.escape(ALGORITHM)} "
    r"Credential=(?P<key_id>[^,\s]+),"
    r"SignedHeaders=(?P<signed>[a-z0-9\-;]+),"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


def parse_authorization(value: str) -> ParsedAuthorization:
    """Split an ``Authorization`` value; ``ValueError`` (without the value) when malformed."""
    match = _AUTHORIZATION.match(value.strip())
    if match is None:
        raise ValueError(f"Authorization is not a well-formed {ALGORITHM} value")
    names = tuple(match["signed"].split(";"))
    if any(not name for name in names) or list(names) != sorted(set(names)):
        raise ValueError("SignedHeaders must be distinct lower-case names in sorted order")
    return ParsedAuthorization(match["key_id"], names, match["signature"])


def expected_signature(
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]] | Mapping[str, str],
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    body: bytes,
    secret: str,
) -> str:
    """Recompute the signature a client should have sent for a received request.

    Only the headers named in ``signed_headers`` are used (looked up case-insensitively;
    a missing one counts as empty, so the signature will not match). The payload hash is
    recomputed from ``body`` rather than trusted from ``x-acs-content-sha256``, so a body
    changed in transit fails verification. Compare with ``hmac.compare_digest``.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    names = sorted({name.lower() for name in signed_headers})
    block = "".join(f"{name}:{lowered.get(name, '').strip()}\n" for name in names)
    request = canonical_request(
        method, path, canonical_query(query_pairs), block, ";".join(names), hashed_payload(body)
    )
    return signature(secret, string_to_sign(request))


def format_date(moment: datetime) -> str:
    """``x-acs-date``: ISO 8601 UTC, ``yyyy-MM-ddTHH:mm:ssZ``."""
    if moment.tzinfo is None:
        raise ValueError("the signing clock must return an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_nonce() -> str:
    """A fresh ``x-acs-signature-nonce`` (32 hex characters, like the official SDKs)."""
    return secrets.token_hex(16)


def utcnow() -> datetime:
    """The real clock (aware UTC): the default of every injected clock in ``commands``."""
    return datetime.now(UTC)


class AcsV3Auth(httpx.Auth):
    """Signs one httpx request with ACS3-HMAC-SHA256.

    Adds ``host``, ``x-acs-action``, ``x-acs-version``, ``x-acs-date``,
    ``x-acs-signature-nonce``, ``x-acs-content-sha256``, ``x-acs-security-token`` (when
    the credentials carry an STS token) and ``Authorization``. The query is read back
    from the URL decoded, so the caller may encode it either way.
    """

    requires_request_body = True

    def __init__(
        self,
        credentials: Credentials,
        *,
        action: str,
        version: str,
        clock: Callable[[], datetime] = utcnow,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        self._credentials = credentials
        self._action = action
        self._version = version
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return f"AcsV3Auth(action={self._action!r}, version={self._version!r})"

    def sign(self, request: httpx.Request) -> None:
        """Add the common headers and ``Authorization`` to ``request`` in place."""
        body = request.content
        payload_hash = hashed_payload(body)
        request.headers["host"] = request.url.netloc.decode("ascii")
        request.headers["x-acs-action"] = self._action
        request.headers["x-acs-version"] = self._version
        request.headers["x-acs-date"] = format_date(self._clock())
        request.headers["x-acs-signature-nonce"] = self._nonce()
        request.headers["x-acs-content-sha256"] = payload_hash
        token = self._credentials.security_token
        if token:
            request.headers["x-acs-security-token"] = token
        block, signed = canonical_headers(dict(request.headers.items()))
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii") or "/"
        creq = canonical_request(
            request.method,
            path,
            canonical_query(request.url.params.multi_items()),
            block,
            signed,
            payload_hash,
        )
        sts = string_to_sign(creq)
        # Canonical request and string to sign carry no secret (the security token is
        # masked below); they are what one compares when a signature is refused.
        if log.isEnabledFor(logging.DEBUG):
            shown = creq.replace(token, "***") if token else creq
            log.debug("ACS3 canonical request:\n%s\nstring to sign:\n%s", shown, sts)
        request.headers["Authorization"] = authorization(
            self._credentials.access_key_id,
            signed,
            signature(self._credentials.access_key_secret, sts),
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request

"""The sandbox's check of a received signature: ACS3-HMAC-SHA256, or the older RPC one.

In the order a gateway can tell: a well-formed ``Authorization`` signing the common
headers, a known AccessKey, a matching signature, a fresh ``x-acs-date`` and a
nonce not seen before. A nonce is only remembered once the signature is good, so a
forged request cannot burn someone else's nonce.

An AccessKey issued by STS AssumeRole is known while its session lasts, and only with
its own security token (``x-acs-security-token``, or ``SecurityToken`` in the query).

``alibabacloud-credentials`` signs AssumeRole the older way (``SignatureMethod=HMAC-SHA1``,
``SignatureVersion=1.0``, ``Signature`` in the query), so that is checked too, as
Alibaba's RPC signature page defines it: the sorted parameters, each name and value
percent-encoded per RFC 3986 (space as ``%20``), joined with ``&``; the string to sign
``METHOD&%2F&`` + that string percent-encoded again; HMAC-SHA1 keyed with the secret
followed by ``&``, base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from commands.sandbox import errors
from commands.sandbox.errors import SandboxError
from commands.signing import REQUIRED_SIGNED_HEADERS, expected_signature, parse_authorization

# Alibaba refuses a request whose timestamp is more than 15 minutes off.
MAX_SKEW = timedelta(minutes=15)

# The gateway's answers about an STS security token.
SECURITY_TOKEN_MISSING = (
    400,
    "MissingSecurityToken",
    "SecurityToken is mandatory for this action.",
)
SECURITY_TOKEN_MISMATCH = (
    400,
    "InvalidSecurityToken.MismatchWithAccessKey",
    "Specified SecurityToken mismatch with the AccessKey.",
)
SECURITY_TOKEN_EXPIRED = (
    400,
    "InvalidSecurityToken.Expired",
    "Specified SecurityToken is expired.",
)

SessionLookup = Callable[[str], "tuple[str, str, datetime] | None"]
"""An STS AccessKey ID -> (secret, security token, expiry), or None when not issued."""


class SignatureVerifier:
    """Verifies requests against ``credentials`` (AccessKey ID -> secret) and, through
    ``sessions``, the temporary AccessKeys STS issued."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        clock: Callable[[], datetime],
        sessions: SessionLookup | None = None,
    ) -> None:
        self._credentials = dict(credentials)
        self._clock = clock
        self._sessions = sessions
        self._nonces: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._nonces.clear()

    def verify(
        self,
        method: str,
        path: str,
        query_pairs: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> str:
        """The AccessKey ID of a well-signed request; ``SandboxError`` otherwise."""
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            parsed = parse_authorization(lowered.get("authorization", ""))
        except ValueError:
            raise SandboxError.of(errors.INCOMPLETE_SIGNATURE) from None
        if not set(REQUIRED_SIGNED_HEADERS) <= set(parsed.signed_headers):
            raise SandboxError.of(errors.INCOMPLETE_SIGNATURE)
        now = self._clock()
        secret = self._secret(parsed.key_id, lowered.get("x-acs-security-token"), now)
        expected = expected_signature(
            method, path, list(query_pairs), lowered, parsed.signed_headers, body, secret
        )
        if not hmac.compare_digest(expected, parsed.signature):
            raise SandboxError.of(errors.SIGNATURE_DOES_NOT_MATCH)
        self._check_fresh(lowered.get("x-acs-date", ""), now)
        self._remember(lowered.get("x-acs-signature-nonce", ""), now)
        return parsed.key_id

    def verify_v1(self, method: str, params: Mapping[str, str]) -> str:
        """The AccessKey ID of a well-signed HMAC-SHA1 RPC request; ``SandboxError`` else."""
        if (
            not params.get("Signature")
            or params.get("SignatureMethod") != "HMAC-SHA1"
            or params.get("SignatureVersion") != "1.0"
        ):
            raise SandboxError.of(errors.INCOMPLETE_SIGNATURE)
        now = self._clock()
        key_id = params.get("AccessKeyId", "")
        secret = self._secret(key_id, params.get("SecurityToken"), now)
        expected = rpc_signature(method, params, secret)
        if not hmac.compare_digest(expected, params["Signature"]):
            raise SandboxError.of(errors.SIGNATURE_DOES_NOT_MATCH)
        self._check_fresh(params.get("Timestamp", ""), now)
        self._remember(params.get("SignatureNonce", ""), now)
        return key_id

    def _secret(self, key_id: str, token: str | None, now: datetime) -> str:
        """The secret to check the signature with; a session's token must come with it."""
        secret = self._credentials.get(key_id)
        if secret is not None:
            return secret
        session = self._sessions(key_id) if self._sessions is not None else None
        if session is None:
            raise SandboxError.of(errors.ACCESS_KEY_NOT_FOUND)
        secret, expected_token, expires = session
        if not token:
            raise SandboxError.of(SECURITY_TOKEN_MISSING)
        if not hmac.compare_digest(token, expected_token):
            raise SandboxError.of(SECURITY_TOKEN_MISMATCH)
        if now >= expires:
            raise SandboxError.of(SECURITY_TOKEN_EXPIRED)
        return secret

    @staticmethod
    def _check_fresh(stamp: str, now: datetime) -> None:
        try:
            sent = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise SandboxError.of(errors.TIMESTAMP_FORMAT) from None
        if abs(now - sent.replace(tzinfo=UTC)) > MAX_SKEW:
            raise SandboxError.of(errors.TIMESTAMP_EXPIRED)

    def _remember(self, nonce: str, now: datetime) -> None:
        with self._lock:
            # Forget nonces older than the skew window: their requests are stale anyway.
            # The dict is in arrival order, so only its old front is looked at.
            while self._nonces:
                oldest, seen = next(iter(self._nonces.items()))
                if now - seen <= 2 * MAX_SKEW:
                    break
                del self._nonces[oldest]
            if nonce in self._nonces:
                raise SandboxError.of(errors.NONCE_USED)
            self._nonces[nonce] = now


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def rpc_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """The HMAC-SHA1 RPC signature of ``params`` (every one but ``Signature``)."""
    canonical = "&".join(
        f"{_encode(name)}={_encode(value)}"
        for name, value in sorted(params.items())
        if name != "Signature"
    )
    to_sign = f"{method.upper()}&{_encode('/')}&{_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()

"""The sandbox's check of a received ACS3-HMAC-SHA256 signature.

In the order a gateway can tell: a well-formed ``Authorization`` signing the common
headers, a known AccessKey, a matching signature, a fresh ``x-acs-date`` and a
nonce not seen before. A nonce is only remembered once the signature is good, so a
forged request cannot burn someone else's nonce.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

from commands.sandbox import errors
from commands.sandbox.errors import SandboxError
from commands.signing import REQUIRED_SIGNED_HEADERS, expected_signature, parse_authorization

# Alibaba refuses a request whose timestamp is more than 15 minutes off.
MAX_SKEW = timedelta(minutes=15)


class SignatureVerifier:
    """Verifies requests against ``credentials`` (AccessKey ID -> secret)."""

    def __init__(self, credentials: Mapping[str, str], clock: Callable[[], datetime]) -> None:
        self._credentials = dict(credentials)
        self._clock = clock
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
        secret = self._credentials.get(parsed.key_id)
        if secret is None:
            raise SandboxError.of(errors.ACCESS_KEY_NOT_FOUND)
        expected = expected_signature(
            method, path, list(query_pairs), lowered, parsed.signed_headers, body, secret
        )
        if not hmac.compare_digest(expected, parsed.signature):
            raise SandboxError.of(errors.SIGNATURE_DOES_NOT_MATCH)
        now = self._clock()
        try:
            sent = datetime.strptime(lowered.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise SandboxError.of(errors.TIMESTAMP_FORMAT) from None
        if abs(now - sent.replace(tzinfo=UTC)) > MAX_SKEW:
            raise SandboxError.of(errors.TIMESTAMP_EXPIRED)
        nonce = lowered.get("x-acs-signature-nonce", "")
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
        return parsed.key_id

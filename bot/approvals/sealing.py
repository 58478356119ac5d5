"""Step-up secrets at rest: AES-256-GCM with the user id as associated data.

The key is ``OFFBOARD_SECRET_KEY``: base64 of 32 random bytes, kept outside the database
(a copy of the database alone yields no secret). Binding the user id as associated data
means a sealed secret copied onto another user's row does not open: an attacker with
write access to the table cannot make their own authenticator valid for someone else.
Each seal uses a fresh random 96-bit nonce (NIST SP 800-38D's recommended length); the
stored form is ``base64(nonce || ciphertext-with-tag)``.

``key_id`` names a key without revealing it, so rows sealed under an old key can be told
apart (and counted) after a rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import SealBroken as SealBroken
from bot.errors import SecretKeyProblem as SecretKeyProblem

KEY_BYTES = 32
_NONCE_BYTES = 12
_HOW_TO_MAKE = (
    'make one with: python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"'
)


class SecretBox:
    """Seals and opens step-up secrets with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SecretKeyProblem(f"the step-up key must be {KEY_BYTES} bytes; {_HOW_TO_MAKE}")
        self._aead = AESGCM(key)
        self._key = key
        self.key_id = hashlib.sha256(b"offboard step-up key id\x00" + key).hexdigest()[:16]

    @classmethod
    def from_base64(cls, text: str | None, *, name: str = "OFFBOARD_SECRET_KEY") -> SecretBox:
        """The box for a base64 key as configured; SecretKeyProblem names ``name``."""
        if not text:
            raise SecretKeyProblem(
                f"OFFBOARD_STEP_UP is totp, so {name} must be set to base64 of "
                f"{KEY_BYTES} bytes; {_HOW_TO_MAKE}"
            )
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SecretKeyProblem(f"{name} is not valid base64; {_HOW_TO_MAKE}") from None
        if len(key) != KEY_BYTES:
            raise SecretKeyProblem(
                f"{name} decodes to {len(key)} bytes, not {KEY_BYTES}; {_HOW_TO_MAKE}"
            )
        return cls(key)

    def derive(self, label: bytes) -> bytes:
        """A 32-byte key for another purpose (HMAC-SHA256 of ``label`` under this key)."""
        return hmac.new(self._key, label, hashlib.sha256).digest()

    def seal(self, user_id: str, secret: str) -> str:
        """``secret`` encrypted for ``user_id`` (base64 text for the database)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), user_id.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, user_id: str, sealed: str) -> str:
        """The secret sealed for ``user_id``; SealBroken if it does not open with this key."""
        try:
            raw = base64.b64decode(sealed, validate=True)
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], user_id.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise SealBroken(
                f"the step-up secret of {user_id} does not open with this OFFBOARD_SECRET_KEY "
                "(another key, or altered); re-enrol them or rotate with the right keys"
            ) from None
        return plain.decode()

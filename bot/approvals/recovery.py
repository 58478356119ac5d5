"""One-time recovery codes: made at enrolment, kept only as slow hashes.

Each code carries its slot number in the clear (``3-ABCDE-FGHJK``): the slot says which
stored hash to check, so an attempt costs one scrypt, not eight, and the ten random
Crockford base32 characters (50 bits) are the secret. The hash is scrypt with a salt of
its own per code (RFC 7914; n=2**14, r=8, p=1, the parameters it gives for interactive
logins), so a copied database does not give the codes away cheaply.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

COUNT = 8
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class HashedCode:
    """What is stored for one code."""

    slot: int
    salt: str
    digest: str


def new_codes() -> list[str]:
    """Eight fresh codes, slots 1 to 8, to print once and never store."""
    return [f"{slot}-{_random(5)}-{_random(5)}" for slot in range(1, COUNT + 1)]


def hash_code(code: str, salt: str | None = None) -> HashedCode:
    """The stored form of ``code`` (normalised as :func:`bot.approvals.totp.parse_code` does)."""
    salt = salt or secrets.token_hex(16)
    slot = int(code.split("-", 1)[0])
    return HashedCode(slot, salt, _scrypt(code, salt))


def matches(code: str, salt: str, digest: str) -> bool:
    """True when ``code`` is the code stored as (``salt``, ``digest``); constant-time compare."""
    return hmac.compare_digest(_scrypt(code, salt), digest)


def _scrypt(code: str, salt: str) -> str:
    return hashlib.scrypt(code.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex()


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))

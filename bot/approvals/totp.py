"""Step-up verification rules, pure: TOTP codes, what a typed code is, when to lock out.

RFC 6238 with the usual authenticator parameters (HMAC-SHA1, 6 digits, 30-second time
steps), through ``pyotp``. A code is accepted for its own time step or one step either
side ("We RECOMMEND that at most one time step is allowed as the network delay", RFC 6238
§5.2), and "the verifier MUST NOT accept the second attempt of the same OTP" (§5.2): the
caller spends the matched step with a guard in the decision's transaction, so a step at
or below the last accepted one is refused.

Failures: five failed attempts within 15 minutes lock the approver out for 15 minutes,
during which even a right code is refused.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER = "Offboard"

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

_DIGITS = re.compile(r"[0-9]{6}")  # ASCII only: compare_digest refuses other text
# A recovery code: its slot (1-8), then ten Crockford base32 characters, e.g. 3-ABCDE-FGHJK.
_RECOVERY = re.compile(r"([1-8])-?([0-9A-HJKMNP-TV-Z]{5})-?([0-9A-HJKMNP-TV-Z]{5})")


@dataclass(frozen=True)
class TotpCode:
    digits: str


@dataclass(frozen=True)
class RecoveryCode:
    slot: int
    text: str  # normalised: "3-ABCDE-FGHJK"


def new_secret() -> str:
    """A fresh 160-bit secret, base32 (RFC 4226 §4 recommends 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, user_id: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app scans."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user_id, issuer_name=ISSUER
    )


def time_step(now: datetime) -> int:
    """The RFC 6238 time step ``now`` falls in."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The code an authenticator shows during ``step``."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (within one step of ``now``) whose code is ``code``, or None.

    Every candidate is compared in constant time, and all of them always are, so the
    time taken does not say which step was close.
    """
    current = time_step(now)
    found: int | None = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step), code) and found is None:
            found = step
    return found


def parse_code(typed: str | None) -> TotpCode | RecoveryCode | None:
    """What the person typed: a 6-digit code, a recovery code, or None (nothing usable).

    Spaces are ignored (authenticators show "123 456"); recovery codes are read in any
    case, with or without their dashes.
    """
    text = re.sub(r"\s+", "", typed or "").upper()
    if _DIGITS.fullmatch(text):
        return TotpCode(text)
    found = _RECOVERY.fullmatch(text)
    if found is None:
        return None
    slot, head, tail = found.groups()
    return RecoveryCode(int(slot), f"{slot}-{head}-{tail}")


def lock_until(recent_failures: Sequence[datetime], now: datetime) -> datetime | None:
    """When the approver is locked out until, if these failures lock them out now.

    ``recent_failures`` are the failure times within :data:`FAILURE_WINDOW` of ``now``,
    the newest (this one) included.
    """
    within = [at for at in recent_failures if now - at < FAILURE_WINDOW]
    return now + LOCKOUT if len(within) >= MAX_FAILURES else None


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until

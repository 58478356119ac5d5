"""The approvers' authenticator apps, for the demo and the tests. DEMO ONLY.

Everything here is public and made up: the step-up key and every TOTP secret are derived
from fixed strings in this file, so anyone can compute these codes. They exist so the
demo and the tests can approve with a code the way a person would (reading their phone)
without a phone; a real deployment enrols with ``offboard-bot totp enrol``, which makes
fresh secrets and shows them only on the bot's host.

A code is accepted once per 30-second step (RFC 6238's "MUST NOT accept the second
attempt of the same OTP"), so an approver who approves twice in one step has to wait for
the next code. The demo and the tests do not wait: their clock is injected, and
:meth:`Authenticator.code` moves it on to the next step instead.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Protocol

from bot.approvals import totp
from bot.approvals.enrolment import Enrolments
from bot.deps import utcnow

# base64 of 32 public bytes: NOT a secret, only ever for the demo's throwaway database.
DEMO_SECRET_KEY = base64.b64encode(b"offboard demo key, not a secret.").decode()
DEMO_OPERATOR = "demo@offboard-devstack"


def demo_totp_secret(user_id: str) -> str:
    """A public, made-up TOTP secret for ``user_id`` (160 bits, base32). DEMO ONLY."""
    seed = hashlib.sha1(f"offboard demo totp secret for {user_id}".encode()).digest()  # noqa: S324
    return base64.b32encode(seed).decode()


class SteppingClock(Protocol):
    def __call__(self) -> datetime: ...

    def advance(self, seconds: float) -> datetime: ...


class OffsetClock:
    """The real time plus an offset the demo moves forward (a clock that can be advanced)."""

    def __init__(self, now: Callable[[], datetime] = utcnow) -> None:
        self._now = now
        self._offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now() + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds)
            return self._now() + self._offset


class Authenticator:
    """Everyone's authenticator app: their demo secrets and the recovery codes printed
    at enrolment (kept here as an enrolled person would keep them on paper)."""

    def __init__(self, clock: SteppingClock) -> None:
        self.clock = clock
        self.recovery_codes: dict[str, list[str]] = {}
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    def enrol(self, enrolments: Enrolments, users: Iterable[str]) -> None:
        """Enrol ``users`` with their demo secrets (a person's first set-up)."""
        for user in sorted(set(users)):
            enrolled = enrolments.enrol(user, by=DEMO_OPERATOR, secret=demo_totp_secret(user))
            self.recovery_codes[user] = list(enrolled.recovery_codes)

    def code(self, user_id: str) -> str:
        """The code ``user_id`` reads off their phone now, moving the clock on to the next
        30-second step first when their last code was of this step."""
        with self._lock:
            step = totp.time_step(self.clock())
            used = self._used.get(user_id)
            if used is not None and step <= used:
                self.clock.advance(totp.STEP_SECONDS * (used - step + 1))
                step = totp.time_step(self.clock())
            self._used[user_id] = step
            return totp.code_at(demo_totp_secret(user_id), step)

    def code_at(self, user_id: str, when: datetime) -> str:
        """The code ``user_id``'s phone showed (or will show) at ``when``."""
        return totp.code_at(demo_totp_secret(user_id), totp.time_step(when))

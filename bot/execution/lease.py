"""A call stays inside its lease: a deadline for all its attempts, a check before each.

The worker that claims an execution holds a lease of ``lease_seconds``; once it runs
out, another worker may take the execution over, conclude it (UNKNOWN: "it was not sent
again") and announce that. So the claiming worker must send nothing after that moment:

- the call, all its attempts and waits included, has a deadline :data:`SEND_SHARE` of
  the lease away (the rest of the lease is kept for storing the answer);
- before every attempt the lease is confirmed in the database (a conditional UPDATE,
  judged by the database's clock): if it is lost, :class:`LeaseLost` stops the call,
  that attempt is not sent, and this worker does nothing more with the execution;
- each attempt's timeouts, connect included, are cut to what is left of the lease
  minus the reserve (``CloudClient.call``), so the request's bytes leave in time.

Should a process stall past all of that anyway (suspended, say) and then get a real
answer, the answer is stored with the execution and announced as a correction
(:meth:`bot.execution.results.ResultWriter.late_answer`), never dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from bot.errors import LeaseLost as LeaseLost
from storage.records import AuditDraft
from storage.repository import Repository

#: The share of the lease a call may use, every attempt included.
SEND_SHARE = 0.75


class LeaseGuard:
    """The deadline and the per-attempt lease check of one call."""

    def __init__(
        self,
        repo: Repository,
        request_id: str,
        attempt: int,
        *,
        owner: str,
        lease_seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.repo = repo
        self.request_id = request_id
        self.attempt = attempt
        self.owner = owner
        self.clock = clock
        self.reserve = lease_seconds * (1 - SEND_SHARE)
        #: A ``time.monotonic()`` instant: made right after the claim, so it falls before
        #: the lease's end; each attempt is also bounded by the database's own count.
        self.deadline = time.monotonic() + lease_seconds * SEND_SHARE
        self.confirmed = 0

    def before_attempt(self) -> float:
        """Confirm the lease; the seconds the next attempt may take. Raises LeaseLost."""
        left = self.repo.confirm_lease(self.request_id, self.attempt, owner=self.owner)
        if left is None:
            holder = self.repo.get_execution(self.request_id, self.attempt)
            facts = {
                "attempt": self.attempt,
                "confirmed_before": self.confirmed,
                "held_by": holder.lease_owner if holder else None,
            }
            self.repo.append_audit(
                AuditDraft("execution.lease_lost", self.owner, facts, self.request_id),
                self.clock(),
            )
            raise LeaseLost(f"{self.request_id}: the lease is no longer {self.owner}'s")
        self.confirmed += 1
        return left - self.reserve

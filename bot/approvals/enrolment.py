"""Enrolling approvers for step-up, on the bot's host (``offboard-bot totp ...``).

Never through Slack: a stolen Slack session is exactly the threat a second factor is
for, so the secret, its ``otpauth://`` URI and the recovery codes are printed only on the
host's terminal. The database keeps the secret sealed (:mod:`bot.approvals.sealing`) and
the recovery codes as slow hashes (:mod:`bot.approvals.recovery`). Each enrolment, reset
and key rotation is written with its audit event and its notice to the approval channel
(through the outbox, :mod:`bot.events`) in one transaction, and none of them holds a secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot import events
from bot.approvals import recovery, totp
from bot.approvals.policy import EnrolledApprovers
from bot.approvals.seal import DecisionSeal
from bot.approvals.sealing import SecretBox
from storage.records import AuditDraft, DecisionRecord
from storage.repository import Repository
from storage.repository.step_up import Effects, Enrolment, NewEnrolment, RecoveryHash


@dataclass(frozen=True)
class Enrolled:
    """What the operator hands the approver, once: never stored in the clear, never logged."""

    user_id: str
    uri: str
    recovery_codes: tuple[str, ...]


@dataclass(frozen=True)
class Listed:
    """One enrolment as ``totp list`` shows it (no secret)."""

    user_id: str
    enrolled_at: datetime
    enrolled_by: str
    recovery_left: int
    locked_until: datetime | None
    opens: bool  # sealed with the configured key


class Enrolments:
    """Enrol, reset and list approvers' step-up secrets with one sealing key."""

    def __init__(self, repo: Repository, box: SecretBox, clock: Callable[[], datetime]) -> None:
        self.repo = repo
        self.box = box
        self.clock = clock

    def enrol(self, user_id: str, *, by: str, secret: str | None = None) -> Enrolled:
        """A new secret and eight recovery codes for ``user_id``; AlreadyEnrolled if any.

        ``secret`` is for the demo and tests only (a known authenticator); the command
        line always makes a fresh one.
        """
        secret = secret or totp.new_secret()
        codes = recovery.new_codes()
        hashed = tuple(
            RecoveryHash(h.slot, h.salt, h.digest) for h in map(recovery.hash_code, codes)
        )
        self.repo.enrol(
            NewEnrolment(
                user_id=user_id,
                enrolment_id=secrets.token_hex(8),
                sealed_secret=self.box.seal(user_id, secret),
                key_id=self.box.key_id,
                enrolled_by=by,
                recovery=hashed,
            ),
            Effects(
                audit=(
                    AuditDraft(
                        "step_up.enrolled", by, {"user": user_id, "recovery_codes": len(codes)}
                    ),
                ),
                announcements=events.drafts(events.Enrolled(user=user_id, by=by)),
            ),
            now=self.clock(),
        )
        return Enrolled(user_id, totp.provisioning_uri(secret, user_id), tuple(codes))

    def reset(self, user_id: str, *, by: str) -> None:
        """Forget ``user_id``'s secret and recovery codes (NotEnrolled if none)."""
        self.repo.reset_enrolment(
            user_id,
            Effects(
                audit=(AuditDraft("step_up.reset", by, {"user": user_id}),),
                announcements=events.drafts(events.Reset(user=user_id, by=by)),
            ),
            now=self.clock(),
        )

    def listing(self) -> list[Listed]:
        """Every enrolment, and whether the configured key opens its secret."""
        return [self._listed(e) for e in self.repo.enrolments()]

    def _listed(self, enrolment: Enrolment) -> Listed:
        return Listed(
            user_id=enrolment.user_id,
            enrolled_at=enrolment.enrolled_at,
            enrolled_by=enrolment.enrolled_by,
            recovery_left=enrolment.recovery_left,
            locked_until=enrolment.locked_until,
            opens=enrolment.key_id == self.box.key_id,
        )


def rotate_key(repo: Repository, old: SecretBox, new: SecretBox, *, by: str, now: datetime) -> int:
    """Re-seal every secret from ``old`` to ``new`` in one transaction; returns how many.

    A secret ``old`` cannot open stops the whole rotation (SealBroken) with nothing
    changed, so a wrong old key can never leave a mix of keys behind. Decisions sealed
    with ``old`` on requests still pending or approved are sealed again with ``new``.
    """

    def reseal(user_id: str, sealed: str, _key_id: str) -> tuple[str, str]:
        return new.seal(user_id, old.open(user_id, sealed)), new.key_id

    old_seal, new_seal = DecisionSeal(old), DecisionSeal(new)

    def reseal_decision(decision: DecisionRecord) -> str | None:
        # Only what the old key really sealed is carried over: a forged row stays forged.
        if not old_seal.verifies(decision) or decision.binding is None:
            return None
        return new_seal.sign(
            decision.request_id,
            decision.user_id,
            decision.vote.value,
            decision.assurance,
            decision.binding,
        )

    def effects(count: int) -> Effects:
        return Effects(
            audit=(AuditDraft("step_up.key_rotated", by, {"enrolments": count}),),
            announcements=events.drafts(events.KeyRotated(by=by, count=count)),
        )

    return repo.reseal_all(reseal, effects, now=now, reseal_decision=reseal_decision)


def enrolled_approvers(repo: Repository, secret_key: str | None) -> EnrolledApprovers:
    """Who can give a code: enrolled under the configured key (for the start-up check).

    The key is read when called, so a missing or malformed ``OFFBOARD_SECRET_KEY`` is
    reported by the start-up check (SecretKeyProblem, a PolicyError) like any policy
    problem.
    """

    def enrolled() -> frozenset[str]:
        return repo.enrolled_users(SecretBox.from_base64(secret_key).key_id)

    return enrolled

"""Approval step-up: an approval counts only with a code Slack does not hold.

A click in Slack proves only that someone holds the approver's Slack session. With
``OFFBOARD_STEP_UP=totp`` Approve is two steps:

1. :meth:`StepUp.prepare` (on the click): would the rules take this person's approval at
   all? If not, say why now; if so, return the call as it will be signed and its digest,
   for the modal that asks for the code.
2. :meth:`StepUp.approve` (on the modal's submit): the request is re-read and its digest
   compared with the one shown; the code is checked (a TOTP code of the current step or
   one either side, or an unused recovery code); then the approval is recorded at
   ``Assurance.SECOND_FACTOR`` by the workflow, with a guard that spends the code in
   the same transaction. Whichever transaction spends a code first wins; any other use
   of it (a double submit, another request, another replica) is refused.

A wrong, reused or missing code records a failure (and nothing else); five within 15
minutes lock the approver out for 15 minutes, announced in the approval channel.
Every refusal is audited; no secret, code or URI is ever written anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from bot.approvals import recovery, totp
from bot.approvals.changes import Proof, to_request, to_reviews
from bot.approvals.digest import SignedCall, digest, signed_call
from bot.approvals.rules import Refusal, apply_review
from bot.approvals.sealing import SealBroken, SecretBox
from bot.approvals.tally import Review
from bot.approvals.workflow import Done, Refused, Workflow
from bot.events import LockedOut, RecoveryUsed, drafts
from commands.catalog import DEFAULT_CATALOG, Catalog
from commands.client import CloudClient
from storage.errors import GuardLost
from storage.records import AuditDraft, DecisionRecord, RequestRecord
from storage.repository.step_up import Enrolment, FailureChange
from storage.states import Assurance, Vote

log = structlog.get_logger(__name__)

_WORDS = {
    "missing_code": "Type the 6-digit code your authenticator app shows for Offboard.",
    "wrong_code": "That code is not right. Type the code your authenticator shows now.",
    "reused_code": "That code was already used. Wait for the next one (codes change every "
    "30 seconds) and type it.",
    "used_recovery_code": "That recovery code was already used; each works once.",
}


@dataclass(frozen=True)
class Ready:
    """The approver may go on: the request and the call to show, with its digest."""

    record: RequestRecord
    call: SignedCall
    digest: str


class StepUp:
    """Verifies approvers' codes and records their approvals at the second-factor level."""

    def __init__(
        self,
        workflow: Workflow,
        box: SecretBox,
        cloud: CloudClient,
        catalog: Catalog = DEFAULT_CATALOG,
    ) -> None:
        self.workflow = workflow
        self.repo = workflow.repo
        self.box = box
        self.cloud = cloud
        self.catalog = catalog

    def prepare(self, request_id: str, user: str, now: datetime) -> Ready | Refused:
        """On the click: the call to show in the modal, or why this person cannot approve."""
        record = self.repo.get_request(request_id)
        if record is None:
            return Refused(request_id, "not_found", f"There is no request {request_id}.")
        refused = self._rules(record, self.repo.decisions_for(request_id), user, now)
        refused = refused or self._standing(self.repo.enrolment(user), record.id, user, now)
        if refused is not None:
            return refused
        call = signed_call(record, self.cloud, self.catalog)
        return Ready(record, call, digest(call))

    def approve(
        self, request_id: str, user: str, shown_digest: str, typed: str | None, now: datetime
    ) -> Done | Refused:
        """On submit: check the digest and the code, then record the approval, or refuse."""
        record = self.repo.get_request(request_id)
        if record is None:
            return Refused(request_id, "not_found", f"There is no request {request_id}.")
        if digest(signed_call(record, self.cloud, self.catalog)) != shown_digest:
            self._audit(user, request_id, "digest_changed", now)
            return Refused(
                request_id,
                "digest_changed",
                "This request is no longer what this window showed (its digest changed). "
                "Nothing was recorded: close this and look at the card again.",
            )
        refused = self._rules(record, self.repo.decisions_for(request_id), user, now)
        enrolment = self.repo.enrolment(user)
        refused = refused or self._standing(enrolment, request_id, user, now)
        if refused is not None:
            return refused
        assert enrolment is not None  # _standing refused otherwise
        proof = self._proof(enrolment, typed, request_id, now)
        if isinstance(proof, str):
            return self._failed(user, request_id, proof, now)
        try:
            return self.workflow.decide(
                request_id, user, Vote.APPROVE, now, assurance=Assurance.SECOND_FACTOR, proof=proof
            )
        except GuardLost:  # spent meanwhile: a double submit, another request or replica
            return self._lost(request_id, user, now)

    def _lost(self, request_id: str, user: str, now: datetime) -> Refused:
        """The code was spent meanwhile. If by this person's own approval of this request
        (a double click racing itself), that is no guess: say it is done, count no failure."""
        decisions = self.repo.decisions_for(request_id)
        record = self.repo.get_request(request_id)
        if record is not None and any(d.user_id == user for d in decisions):
            refused = self._rules(record, decisions, user, now)
            if refused is not None:
                return refused
        return self._failed(user, request_id, "reused_code", now)

    # --- checks ---------------------------------------------------------------------------

    def _rules(
        self, record: RequestRecord, decisions: Sequence[DecisionRecord], user: str, now: datetime
    ) -> Refused | None:
        """The rules' own refusal (requester, non-approver, decided...) before any code."""
        review = Review(user, Vote.APPROVE, now, Assurance.SECOND_FACTOR)
        policy = self.workflow.rules.snapshot()
        outcome = apply_review(to_request(record), to_reviews(decisions), review, policy, now)
        if not isinstance(outcome, Refusal):
            return None
        data = {"action": "approve", "reason": outcome.reason.value, "status": outcome.status.value}
        self.repo.append_audit(AuditDraft("decision.refused", user, data, record.id), now)
        return Refused(record.id, outcome.reason.value, outcome.message, noop=outcome.is_noop)

    def _standing(
        self, enrolment: Enrolment | None, request_id: str, user: str, now: datetime
    ) -> Refused | None:
        """Refused when ``user`` has no enrolment the key opens, or is locked out."""
        if enrolment is None or enrolment.key_id != self.box.key_id:
            self._audit(user, request_id, "not_enrolled", now)
            return Refused(
                request_id,
                "not_enrolled",
                "Approving needs a code from an authenticator app, and you are not enrolled. "
                "Ask an Offboard operator to run `offboard-bot totp enrol` for you on the "
                "bot's host (never in Slack).",
            )
        if enrolment.locked_until is not None and totp.is_locked(enrolment.locked_until, now):
            self._audit(user, request_id, "locked_out", now)
            return Refused(request_id, "locked_out", _locked_words(enrolment.locked_until))
        return None

    def _proof(
        self, enrolment: Enrolment, typed: str | None, request_id: str, now: datetime
    ) -> Proof | str:
        """The proof to spend with the approval, or the reason the code fails."""
        parsed = totp.parse_code(typed)
        if parsed is None:
            return "missing_code" if not (typed or "").strip() else "wrong_code"
        if isinstance(parsed, totp.RecoveryCode):
            return self._recovery(enrolment, parsed, request_id, now)
        try:
            secret = self.box.open(enrolment.user_id, enrolment.sealed_secret)
        except SealBroken:
            log.error("step_up_secret_unreadable", user=enrolment.user_id)
            return "wrong_code"
        step = totp.matching_step(secret, parsed.digits, now)
        if step is None:
            return "wrong_code"
        if enrolment.last_step is not None and step <= enrolment.last_step:
            return "reused_code"
        return Proof("totp", guards=(self.repo.spend_step(enrolment, step, now),))

    def _recovery(
        self, enrolment: Enrolment, code: totp.RecoveryCode, request_id: str, now: datetime
    ) -> Proof | str:
        stored = next((c for c in enrolment.recovery if c.slot == code.slot), None)
        if stored is None or not recovery.matches(code.text, stored.salt, stored.digest):
            return "wrong_code"
        if stored.used_at is not None:
            return "used_recovery_code"
        user, left = enrolment.user_id, enrolment.recovery_left - 1
        return Proof(
            "recovery_code",
            guards=(self.repo.spend_recovery_code(enrolment, code.slot, now),),
            audit=(AuditDraft("step_up.recovery_used", user, {"slot": code.slot, "left": left}),),
            announcements=drafts(RecoveryUsed(user=user, request_id=request_id, left=left)),
        )

    # --- failures -------------------------------------------------------------------------

    def _failed(self, user: str, request_id: str, reason: str, now: datetime) -> Refused:
        """Record a failed attempt (locking out at the fifth) and say what went wrong."""

        def on_failure(recent: list[datetime], locked: datetime | None) -> FailureChange:
            data = {"reason": reason, "failures": len(recent)}
            audit = [AuditDraft("step_up.failed", user, data, request_id)]
            until = None if totp.is_locked(locked, now) else totp.lock_until(recent, now)
            if until is None:
                return FailureChange(audit=tuple(audit))
            lock = {"until": until.isoformat(), "failures": len(recent)}
            audit.append(AuditDraft("step_up.locked_out", user, lock, request_id))
            return FailureChange(
                locked_until=until,
                audit=tuple(audit),
                announcements=drafts(LockedOut(user=user, until=until)),
            )

        change = self.repo.record_failure(
            user, reason, window=totp.FAILURE_WINDOW, on_failure=on_failure, now=now
        )
        if change.locked_until is not None:
            return Refused(request_id, "locked_out", _locked_words(change.locked_until))
        return Refused(request_id, reason, _WORDS[reason])

    def _audit(self, user: str, request_id: str, reason: str, now: datetime) -> None:
        self.repo.append_audit(
            AuditDraft("step_up.refused", user, {"reason": reason}, request_id), now
        )


def _locked_words(until: datetime) -> str:
    when = until.astimezone(UTC).strftime("%H:%M UTC")
    return (
        f"Too many wrong codes: you cannot approve until {when}. "
        f"{totp.MAX_FAILURES} failures within 15 minutes lock approving for 15 minutes."
    )

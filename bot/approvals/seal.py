"""What an approval was given for, and a seal only Offboard can make.

Each recorded decision carries two things (:func:`binding`, :meth:`DecisionSeal.sign`):

- ``binding``: SHA-256 over the request's id, operation and parameters exactly as stored
  when the person decided. The door (:mod:`bot.execution.door`) counts an approval only
  while the request still has that binding, so parameters edited in the database after
  the approvals are not covered by them.
- ``seal``: HMAC-SHA256 over request, person, vote, assurance and binding, keyed from
  ``OFFBOARD_SECRET_KEY`` (a key kept outside the database). Someone who can write the
  database but does not hold the key cannot insert, copy or re-point an approval that
  counts: with a key configured the door counts only approvals whose seal verifies.

Without ``OFFBOARD_SECRET_KEY`` (step-up off) decisions are bound but not sealed, and
``offboard-bot doctor`` says so.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from bot.approvals.sealing import SecretBox
from storage.records import DecisionRecord
from storage.states import Assurance


def binding(request_id: str, operation: str, params: Mapping[str, Any]) -> str:
    """The hex SHA-256 of what was approved: the request, its operation, its parameters."""
    canonical = json.dumps(
        {"id": request_id, "operation": operation, "params": dict(params)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class DecisionSeal:
    """Signs and checks decisions with a key derived from ``OFFBOARD_SECRET_KEY``."""

    def __init__(self, box: SecretBox) -> None:
        # A key of its own (not the AES key): a seal reveals nothing about step-up secrets.
        self._key = box.derive(b"offboard decision seal")

    @classmethod
    def from_key_text(cls, text: str | None) -> DecisionSeal | None:
        """The seal for a configured key; None when no key is set (malformed: refused)."""
        if not text:
            return None
        return cls(SecretBox.from_base64(text))

    def sign(
        self, request_id: str, user_id: str, vote: str, assurance: Assurance, bound: str
    ) -> str:
        message = "\x00".join((request_id, user_id, vote, str(int(assurance)), bound))
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def verifies(self, decision: DecisionRecord) -> bool:
        """True when ``decision`` carries the seal Offboard made for exactly these values."""
        if decision.seal is None or decision.binding is None:
            return False
        expected = self.sign(
            decision.request_id,
            decision.user_id,
            decision.vote.value,
            decision.assurance,
            decision.binding,
        )
        return hmac.compare_digest(expected, decision.seal)

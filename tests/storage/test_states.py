"""The database checks every state against the same enums the code uses (storage.states).

Each value of ``Status`` (and of ``OUTCOMES`` for executions) is accepted by the migrated
database's CHECK constraints, and a value outside them is refused, on SQLite and
PostgreSQL, so a state can neither be spelled two ways nor slip in by hand.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from storage.states import OUTCOMES, Assurance, Status, Vote

_REQUEST = (
    "INSERT INTO requests (id, operation, params, requester, reason, destructive, "
    "required_approvals, status, created_at, expires_at, version) VALUES (:id, 'DeleteAccount', "
    "'{}', 'U1', 'r', true, 2, :status, '2026-11-23 09:00:00+00:00', "
    "'2026-11-24 09:00:00+00:00', 1)"
)
_EXECUTION = (
    "INSERT INTO executions (request_id, attempt, lease_owner, lease_expires_at, started_at, "
    "outcome) VALUES (:id, :attempt, 'w', '2026-11-23 09:00:00+00:00', "
    "'2026-11-23 09:00:00+00:00', :outcome)"
)


def test_every_status_fits_the_database_and_nothing_else_does(db_engine: Engine) -> None:
    with db_engine.begin() as connection:
        for n, status in enumerate(Status):
            connection.execute(text(_REQUEST), {"id": f"OB-S{n}", "status": str(status)})
    with pytest.raises(IntegrityError), db_engine.begin() as connection:
        connection.execute(text(_REQUEST), {"id": "OB-BAD", "status": "DONE"})


def test_every_outcome_fits_an_execution_and_a_status_that_is_not_one_does_not(
    db_engine: Engine,
) -> None:
    with db_engine.begin() as connection:
        connection.execute(text(_REQUEST), {"id": "OB-E", "status": "EXECUTING"})
        for n, outcome in enumerate(OUTCOMES, start=1):
            connection.execute(text(_EXECUTION), {"id": "OB-E", "attempt": n, "outcome": outcome})
    with pytest.raises(IntegrityError), db_engine.begin() as connection:
        connection.execute(text(_EXECUTION), {"id": "OB-E", "attempt": 99, "outcome": "PENDING"})


_DECISION = (
    "INSERT INTO decisions (request_id, user_id, vote, created_at, assurance) VALUES "
    "('OB-V', :user, :vote, '2026-11-23 09:00:00+00:00', :assurance)"
)


def test_every_vote_and_assurance_fits_a_decision_and_nothing_else_does(
    db_engine: Engine,
) -> None:
    with db_engine.begin() as connection:
        connection.execute(text(_REQUEST), {"id": "OB-V", "status": "PENDING"})
        for n, (vote, assurance) in enumerate((v, a) for v in Vote for a in Assurance):
            row = {"user": f"U{n}", "vote": str(vote), "assurance": int(assurance)}
            connection.execute(text(_DECISION), row)
    for bad in ({"vote": "APPROVE", "assurance": 1}, {"vote": "approve", "assurance": 0}):
        with pytest.raises(IntegrityError), db_engine.begin() as connection:
            connection.execute(text(_DECISION), {"user": "UBAD", **bad})

"""Migration 0003_gate_edges (requests.submission_key): existing rows survive, replays collide."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from storage.migrate import alembic_config, upgrade
from storage.repository import Repository

_ROW = (
    "INSERT INTO requests (id, operation, params, requester, reason, destructive, "
    "required_approvals, status, created_at, expires_at, version) VALUES "
    "(:id, 'DeleteAccount', '{\"AccountId\": \"1699461245510000\"}', 'U1', 'closing it', "
    "true, 2, 'PENDING', '2026-11-23 09:00:00+00:00', '2026-11-24 09:00:00+00:00', 1)"
)

_KEY = text("UPDATE requests SET submission_key = 'k' WHERE id = :id")


def test_rows_filed_before_the_key_survive_the_upgrade(db_url: str, db_engine: Engine) -> None:
    command.downgrade(alembic_config(db_url), "0001")
    columns = {c["name"] for c in inspect(db_engine).get_columns("requests")}
    assert "submission_key" not in columns
    with db_engine.begin() as connection:
        for request_id in ("OB-OLD00001", "OB-OLD00002"):
            connection.execute(text(_ROW), {"id": request_id})
    upgrade(db_url)
    repo = Repository(db_engine)
    old = repo.get_request("OB-OLD00001")
    assert old is not None and old.params == {"AccountId": "1699461245510000"}
    assert old.status == "PENDING" and old.reason == "closing it"
    # Both old rows have no key (NULL), which UNIQUE allows; a repeated key it does not.
    with db_engine.begin() as connection:
        keys = connection.execute(text("SELECT submission_key FROM requests")).scalars().all()
        assert keys == [None, None]
        connection.execute(
            text("UPDATE requests SET submission_key = 'k' WHERE id = 'OB-OLD00001'")
        )
    with pytest.raises(IntegrityError), db_engine.begin() as connection:
        connection.execute(
            text("UPDATE requests SET submission_key = 'k' WHERE id = 'OB-OLD00002'")
        )

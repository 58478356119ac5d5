"""Migration 0006_decision_seal binds existing decisions to their request as stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bot.approvals.seal import binding
from storage.db import make_engine
from storage.migrate import check, upgrade
from storage.repository import Repository

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_existing_decisions_are_bound_and_left_unsealed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005_partial")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO requests (id, operation, params, requester, reason, destructive,"
                " required_approvals, status, created_at, expires_at, version) VALUES"
                " ('OB-OLD00001', 'DeleteAccount', '{\"AccountId\": \"1512996702208737\"}',"
                " 'U0ALICE', 'left', 1, 2, 'PENDING', :now, :now, 1)"
            ),
            {"now": NOW.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO decisions (request_id, user_id, vote, created_at)"
                " VALUES ('OB-OLD00001', 'U0BOB', 'approve', :now)"
            ),
            {"now": NOW.replace(tzinfo=None)},
        )
    engine.dispose()
    upgrade(url)
    check(url)
    repo = Repository(make_engine(url))
    try:
        [decision] = repo.decisions_for("OB-OLD00001")
    finally:
        repo.engine.dispose()
    assert decision.binding == binding(
        "OB-OLD00001", "DeleteAccount", {"AccountId": "1512996702208737"}
    )
    assert decision.seal is None

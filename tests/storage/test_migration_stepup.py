"""Migration 0004_stepup keeps existing rows: old decisions become Slack-account clicks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine
from storage.migrate import check, upgrade
from storage.repository import Repository
from storage.states import Assurance
from tests.support.scratch import scratch_postgres

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def fill_at_0001(url: str) -> None:
    """A request and two decisions, written by the schema as it was before step-up."""
    upgrade(url, "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO requests (id, operation, params, requester, reason, destructive,"
                    " required_approvals, status, created_at, expires_at, version) VALUES"
                    " ('OB-OLD00001', 'DeleteAccount', '{\"AccountId\": \"1\"}', 'U0ALICE',"
                    " 'left the company', TRUE, 2, 'PENDING', :now, :now, 1)"
                ),
                {"now": NOW.replace(tzinfo=None)},
            )
            for user in ("U0BOB", "U0CAROL"):
                connection.execute(
                    text(
                        "INSERT INTO decisions (request_id, user_id, vote, created_at)"
                        " VALUES ('OB-OLD00001', :user, 'approve', :now)"
                    ),
                    {"user": user, "now": NOW.replace(tzinfo=None)},
                )
    finally:
        engine.dispose()


def upgraded_decisions(url: str) -> list[tuple[str, Assurance]]:
    upgrade(url)
    check(url)
    repo = Repository(make_engine(url))
    try:
        return [(d.user_id, d.assurance) for d in repo.decisions_for("OB-OLD00001")]
    finally:
        repo.engine.dispose()


EXPECTED = [("U0BOB", Assurance.SLACK_ACCOUNT), ("U0CAROL", Assurance.SLACK_ACCOUNT)]


def test_sqlite_rows_survive_and_read_as_slack_account_clicks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    fill_at_0001(url)
    assert upgraded_decisions(url) == EXPECTED


@pytest.mark.postgres
def test_postgres_rows_survive_and_read_as_slack_account_clicks(postgres_url: str) -> None:
    with scratch_postgres(postgres_url, prefix="offboard_stepup", migrate=False) as url:
        fill_at_0001(url)
        assert upgraded_decisions(url) == EXPECTED

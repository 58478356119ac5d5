"""Reconciling a DeleteAccount sent without an answer, against the sandbox over HTTP.

Only GetAccount's ``EntityNotExists.Account`` says the member is gone. The attack: any
other not-found (a resource directory that is not visible, a gateway's not-found) read
as "the member is gone" would report a deletion that may never have happened.
"""

from __future__ import annotations

import pytest

from bot.execution.reconcile import settle_unanswered
from commands.catalog import get_spec
from commands.catalog.quirks import Progress
from commands.client import CloudClient
from commands.reads import CloudReader
from commands.sandbox import Sandbox
from tests.support.cloud import call

CLEAN = "1512996702208737"
UNKNOWN_MEMBER = "1000000000000000"


def reconcile_deletion(client: CloudClient, params: dict[str, str]) -> Progress:
    """A DeleteAccount sent without an answer, settled as the worker settles it."""
    return settle_unanswered(CloudReader(client), get_spec("DeleteAccount"), params)


def test_a_member_that_getaccount_does_not_know_is_gone(cloud_client: CloudClient) -> None:
    finding = reconcile_deletion(cloud_client, {"AccountId": UNKNOWN_MEMBER})
    assert finding.verdict == "SUCCEEDED"
    assert f"Member {UNKNOWN_MEMBER} no longer exists." == finding.message


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, "EntityNotExists.ResourceDirectory"),  # documented 404, not the member's
        (404, "EntityNotExists.Folder"),
        (409, "AccountNotExist.Elsewhere"),
    ],
)
def test_another_not_found_does_not_make_a_deletion_look_done(
    cloud_client: CloudClient, sandbox: Sandbox, status: int, code: str
) -> None:
    sandbox.fail("GetAccount", status=status, code=code, message="not visible", times=5)
    finding = reconcile_deletion(cloud_client, {"AccountId": CLEAN})
    assert finding.verdict == "UNKNOWN"
    assert code in finding.message and "It was not sent again." in finding.message
    assert sandbox.world.accounts[CLEAN].deletion is None


def test_a_member_that_still_exists_is_unknown_not_gone(cloud_client: CloudClient) -> None:
    assert call(cloud_client, "GetAccount", {"AccountId": CLEAN}).ok
    finding = reconcile_deletion(cloud_client, {"AccountId": CLEAN})
    assert finding.verdict == "UNKNOWN"
    assert "still exists" in finding.message

"""Discovery against the sandbox cloud, over real signed HTTP: each member of the plan
world, reads retried and failures recorded (never raised), reads concurrent and bounded."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from commands.client import CloudClient
from commands.member_plan import BastionUser, CloudReader, discover
from commands.responses import CallResult
from commands.sandbox import Sandbox
from commands.sandbox.seed import DEMO_INSTANCE_ID, INVITED_MEMBER, MANAGEMENT_ACCOUNT_ID
from commands.sandbox.seed_plan import (
    ABANDONABLE_MEMBER,
    BIG_HOST,
    BLOCKED_MEMBER,
    LEAVER_HOSTS,
    LEAVER_MEMBER,
    LEAVER_RELATION,
    LEAVER_SERVICES,
)
from tests.commands.member_plan.running import LEAVER_USERS, NO_WAIT
from tests.support.cloud import demo_client

PLAN_READS = {
    "GetResourceDirectory": 1,
    "GetAccount": 1,
    "ListDelegatedServicesForAccount": 1,
    "GetPayerForAccount": 1,
    "QueryRelationList": 1,
    "CheckAccountDelete": 1,
    "GetAccountDeletionCheckResult": 1,
    "ListHostsForUser": 2,
    "ListHostAccountsForUser": len(LEAVER_HOSTS) + 1,
}


def test_the_leaver_is_found_whole(cloud_client: CloudClient, sandbox: Sandbox) -> None:
    found = discover(CloudReader(cloud_client), LEAVER_MEMBER, LEAVER_USERS, poll=NO_WAIT)
    assert found.failures == ()
    assert found.directory is not None and found.directory.deletion_enabled
    assert found.member is not None and found.member.type == "ResourceAccount"
    assert found.member.directory_id == found.directory.directory_id
    assert found.services == LEAVER_SERVICES
    assert found.payer is not None and found.payer.account_id == str(MANAGEMENT_ACCOUNT_ID)
    assert [r.relation_id for r in found.relations or ()] == [LEAVER_RELATION]
    hangzhou, shanghai = found.grants
    assert [h.host_id for h in hangzhou.hosts] == list(LEAVER_HOSTS)
    big = next(h for h in hangzhou.hosts if h.host_id == BIG_HOST)
    world = sandbox.world.instances[DEMO_INSTANCE_ID].grants["3"]
    assert set(big.account_ids) == world[BIG_HOST] and len(big.account_ids) == 12
    assert [(h.host_id, h.account_ids) for h in shanghai.hosts] == [("2", ("2",))]
    assert found.check is not None and found.check.complete and not found.check.allow_delete
    assert {i.check_id for i in found.check.not_allowed} == {
        "DELEGATED_ADMINISTRATOR",
        "FINANCE_RELATION",
    }
    # Every read once (no retry was needed), and nothing that changes the cloud.
    assert Counter(c.action for c in sandbox.calls) == PLAN_READS
    assert found.reads == sum(PLAN_READS.values())


def test_the_blocked_member_names_what_no_api_clears(cloud_client: CloudClient) -> None:
    found = discover(CloudReader(cloud_client), BLOCKED_MEMBER, poll=NO_WAIT)
    assert (found.failures, found.services, found.relations, found.grants) == ((), (), (), ())
    assert found.check is not None and not found.check.allow_delete
    assert [i.check_id for i in found.check.not_allowed] == ["UNPAID_BILLS", "DOMAIN"]


def test_the_abandonable_member_offers_its_checks(cloud_client: CloudClient) -> None:
    found = discover(CloudReader(cloud_client), ABANDONABLE_MEMBER, poll=NO_WAIT)
    assert found.failures == () and found.check is not None
    assert found.check.allow_delete
    assert found.check.abandonable_ids == ("NON_SP_cs", "NON_SP_ecs")


def test_the_invited_member_is_found_as_a_cloud_account(cloud_client: CloudClient) -> None:
    found = discover(CloudReader(cloud_client), INVITED_MEMBER, poll=NO_WAIT)
    assert found.member is not None
    assert (found.member.type, found.member.join_method) == ("CloudAccount", "invited")


def test_a_directory_that_forbids_deletion_says_so(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    sandbox.world.member_deletion_enabled = False
    found = discover(CloudReader(cloud_client), LEAVER_MEMBER, poll=NO_WAIT)
    assert found.directory is not None and found.directory.member_deletion == "Disabled"


def test_a_read_failing_with_a_5xx_is_retried_and_succeeds(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    sandbox.fail(
        "GetPayerForAccount", status=503, code="ServiceUnavailable", message="busy", times=1
    )
    found = discover(CloudReader(cloud_client), LEAVER_MEMBER, poll=NO_WAIT)
    assert found.failures == ()
    assert found.payer is not None and found.payer.account_id == str(MANAGEMENT_ACCOUNT_ID)
    assert sandbox.count("GetPayerForAccount") == 2
    assert [r.relation_id for r in found.relations or ()] == [LEAVER_RELATION]


def test_a_read_failing_for_good_is_recorded_not_raised(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    sandbox.fail(
        "ListHostsForUser", status=503, code="ServiceUnavailable", message="down", times=99
    )
    found = discover(CloudReader(cloud_client), LEAVER_MEMBER, LEAVER_USERS, poll=NO_WAIT)
    assert found.grants == ()
    failures = [f for f in found.failures if f.action == "ListHostsForUser"]
    assert len(failures) == 2  # one per user, each after the client's 4 attempts
    assert sandbox.count("ListHostsForUser") == 8
    first = failures[0]
    assert (first.code, first.message, first.http_status) == ("ServiceUnavailable", "down", 503)
    assert first.request_id and first.params["UserId"] in {"2", "3"}
    # The rest of discovery is whole.
    assert found.services == LEAVER_SERVICES and found.check is not None


def test_a_refusal_is_recorded_with_its_code_and_request_id(cloud_client: CloudClient) -> None:
    stranger = BastionUser("cn-hangzhou", DEMO_INSTANCE_ID, "99")
    found = discover(CloudReader(cloud_client), "1000000000000000", (stranger,), poll=NO_WAIT)
    codes = {f.action: f.code for f in found.failures}
    assert codes["GetAccount"] == "EntityNotExists.Account"
    assert codes["ListHostsForUser"] == "EntityNotExists.User"
    assert all(f.request_id for f in found.failures if f.code)
    assert found.member is None and found.grants == ()


def test_a_follow_up_read_failing_leaves_that_user_out(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    sandbox.fail("ListHostAccountsForUser", status=500, code="InternalError", message="x", times=4)
    # One worker: the four failures all meet the first host's read and its retries.
    reader = CloudReader(cloud_client)
    found = discover(reader, LEAVER_MEMBER, LEAVER_USERS, workers=1, poll=NO_WAIT)
    [failure] = found.failures
    assert failure.action == "ListHostAccountsForUser" and "HostId" in failure.params
    users = [g.user.user_id for g in found.grants]
    assert len(users) == 1  # the other user's hosts were all read


class _InFlight:
    """Counts the reads in flight through a real CloudReader (the sandbox holds each
    answer back, so concurrent reads overlap)."""

    def __init__(self, reader: CloudReader) -> None:
        self.reader = reader
        self.lock = threading.Lock()
        self.now = self.peak = 0

    def read(self, action: str, params: Mapping[str, Any], /) -> CallResult:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            return self.reader.read(action, params)
        finally:
            with self.lock:
                self.now -= 1


def test_reads_run_concurrently_within_the_bound(sandbox: Sandbox) -> None:
    for action in PLAN_READS:
        sandbox.delay(action, 0.2)
    with demo_client(sandbox.base_url) as client:
        counted = _InFlight(CloudReader(client))
        found = discover(counted, LEAVER_MEMBER, LEAVER_USERS, workers=3, poll=NO_WAIT)
    assert found.failures == ()
    assert counted.peak == 3


def _reads_made(box: Sandbox) -> Counter[tuple[str, tuple[tuple[str, str], ...]]]:
    return Counter((c.action, tuple(sorted(c.params.items()))) for c in box.calls)


def test_one_worker_makes_the_same_reads_one_after_another() -> None:
    made = []
    for workers in (8, 1):
        with Sandbox() as box, demo_client(box.base_url) as client:
            found = discover(
                CloudReader(client), LEAVER_MEMBER, LEAVER_USERS, workers=workers, poll=NO_WAIT
            )
            made.append((found, _reads_made(box)))
    (concurrent, reads_c), (sequential, reads_s) = made
    assert reads_c == reads_s
    assert concurrent == sequential

"""Pre-checks through the real client against the sandbox cloud."""

from __future__ import annotations

import socket
from typing import Any

from commands.catalog import get_spec, validate_params
from commands.client import CloudClient
from commands.prechecks import Finding, PollPolicy, run_prechecks
from commands.sandbox import DEMO_ACCESS_KEY_SECRET, Sandbox
from commands.sandbox.seed import INVITED_MEMBER
from tests.support.clock import FakeClock
from tests.support.cloud import call, demo_client

ADMIN = "1699461245510000"
CLEAN = "1512996702208737"
AUDIT = "1388102837270001"  # delegated admin of config.aliyuncs.com, abandonable NON_SP_cs
PARENT = 1738376485192612
INSTANCE = "bastionhost-cn-st220aw0001"


def prechecks(client: CloudClient, action: str, raw: dict[str, Any], **kw: Any) -> list[Finding]:
    spec = get_spec(action)
    return run_prechecks(client, spec, validate_params(spec, raw), **kw)


def statuses(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.title, f.status) for f in findings]


def test_delete_account_of_a_delegated_admin_is_blocked_with_reasons(
    cloud_client: CloudClient,
) -> None:
    findings = prechecks(cloud_client, "DeleteAccount", {"AccountId": ADMIN})
    assert statuses(findings) == [("Member account", "ok"), ("Deletion check", "blocked")]
    assert "security-tools" in findings[0].details[0]
    reasons = " ".join(findings[1].details)
    assert "cloudfw.aliyuncs.com" in reasons and "FINANCE_RELATION" in reasons


def test_delete_account_of_a_clean_member_is_allowed(cloud_client: CloudClient) -> None:
    findings = prechecks(cloud_client, "DeleteAccount", {"AccountId": CLEAN})
    assert statuses(findings) == [("Member account", "ok"), ("Deletion check", "ok")]
    assert findings[1].details == ("Deletion is allowed.",)


def test_abandonable_checks_warn_until_abandoned(cloud_client: CloudClient) -> None:
    call(
        cloud_client,
        "DeregisterDelegatedAdministrator",
        {"AccountId": AUDIT, "ServicePrincipal": "config.aliyuncs.com"},
    )
    warned = prechecks(cloud_client, "DeleteAccount", {"AccountId": AUDIT})[1]
    assert warned.status == "warning"
    assert any("NON_SP_cs" in line for line in warned.details)
    abandoned = prechecks(
        cloud_client, "DeleteAccount", {"AccountId": AUDIT, "AbandonableCheckId": "NON_SP_cs"}
    )[1]
    assert abandoned.status == "ok"
    assert any("abandoned" in line for line in abandoned.details)


def test_the_check_is_polled_by_the_injected_sleep(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    box, client = timed_cloud
    poll = PollPolicy(interval=1.0, attempts=10, sleep=clock.advance)
    findings = prechecks(client, "DeleteAccount", {"AccountId": CLEAN}, poll=poll)
    assert findings[1].status == "ok"
    # PreChecking at t=0..4, complete at t=5: six reads, five sleeps.
    assert box.count("GetAccountDeletionCheckResult") == 6


def test_a_check_that_does_not_finish_is_a_warning(
    timed_cloud: tuple[Sandbox, CloudClient], clock: FakeClock
) -> None:
    box, client = timed_cloud
    poll = PollPolicy(interval=1.0, attempts=3, sleep=clock.advance)
    findings = prechecks(client, "DeleteAccount", {"AccountId": CLEAN}, poll=poll)
    assert findings[1].status == "warning"
    assert box.count("GetAccountDeletionCheckResult") == 3


def test_an_unknown_member_is_an_error_finding(cloud_client: CloudClient) -> None:
    findings = prechecks(cloud_client, "DeleteAccount", {"AccountId": "1000000000000000"})
    assert [f.status for f in findings] == ["error", "error"]
    assert "EntityNotExists.Account" in findings[0].details[0]


def test_deregister_shows_whether_the_registration_exists(cloud_client: CloudClient) -> None:
    raw = {"AccountId": ADMIN, "ServicePrincipal": "cloudfw.aliyuncs.com"}
    assert [f.status for f in prechecks(cloud_client, "DeregisterDelegatedAdministrator", raw)] == [
        "ok"
    ]
    other = {**raw, "AccountId": CLEAN}
    blocked = prechecks(cloud_client, "DeregisterDelegatedAdministrator", other)
    assert blocked[0].status == "blocked"
    assert "AccountNotRegistered" in blocked[0].details[0]


def test_relation_is_shown_as_query_relation_list_sees_it(cloud_client: CloudClient) -> None:
    by_id = {"RelationId": "51463"}
    assert prechecks(cloud_client, "RelieveAccountRelation", by_id)[0].status == "warning"
    found = prechecks(cloud_client, "RelieveAccountRelation", by_id, caller_uid=PARENT)[0]
    assert found.status == "ok" and "51463" in found.details[0] and ADMIN in found.details[0]
    by_parties = {
        "ParentUserId": str(PARENT),
        "ChildUserId": ADMIN,
        "RelationType": "enterprise_group",
    }
    assert prechecks(cloud_client, "RelieveAccountRelation", by_parties)[0].status == "ok"
    modify = {"RelationId": "51463", "ParentUserId": str(PARENT), "RelationOperation": "DELETE"}
    assert prechecks(cloud_client, "ModifyAccountRelation", modify)[0].status == "ok"
    call(cloud_client, "RelieveAccountRelation", by_id)
    gone = prechecks(cloud_client, "RelieveAccountRelation", by_id, caller_uid=PARENT)[0]
    assert gone.status == "blocked"


def test_detach_lists_each_hosts_accounts(cloud_client: CloudClient) -> None:
    hosts = '[{"HostId":"1"},{"HostId":"2","HostAccountIds":["3","99"]},{"HostId":"77"}]'
    raw = {"InstanceId": INSTANCE, "RegionId": "cn-hangzhou", "UserId": "1", "Hosts": hosts}
    findings = prechecks(cloud_client, "DetachHostAccountsFromUser", raw)
    assert statuses(findings) == [
        ("Host 1 of user 1", "ok"),
        ("Host 2 of user 1", "warning"),
        ("Host 77 of user 1", "error"),
    ]
    assert "root (1), deploy (2)" in findings[0].details[0]
    assert "99" in findings[1].details[-1]


def test_a_failing_read_becomes_an_error_finding(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    sandbox.fail(
        "ListDelegatedServicesForAccount",
        status=503,
        code="ServiceUnavailable",
        message="down",
        times=10,
    )
    raw = {"AccountId": ADMIN, "ServicePrincipal": "cloudfw.aliyuncs.com"}
    findings = prechecks(cloud_client, "DeregisterDelegatedAdministrator", raw)
    assert [f.status for f in findings] == ["error"]
    assert "ServiceUnavailable" in findings[0].details[0]


def test_an_unreachable_cloud_is_an_error_finding_not_an_exception() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = demo_client(f"http://127.0.0.1:{port}", max_attempts=1, timeout=2.0)
    with client:
        findings = prechecks(client, "DeleteAccount", {"AccountId": CLEAN})
    assert [f.status for f in findings] == ["error", "error"]
    assert DEMO_ACCESS_KEY_SECRET not in repr(findings)


def test_read_only_operations_have_no_prechecks(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    assert prechecks(cloud_client, "GetAccount", {"AccountId": ADMIN}) == []
    assert sandbox.calls == []


def test_a_member_that_is_not_a_resource_account_is_blocked(cloud_client: CloudClient) -> None:
    # "Deletes a member of the resource account type": an invited cloud account answers
    # MemberTypeError.DeleteAccount, so approvers see it before approving.
    findings = prechecks(cloud_client, "DeleteAccount", {"AccountId": INVITED_MEMBER})
    member = findings[0]
    assert (member.title, member.status) == ("Member account", "blocked")
    assert "CloudAccount" in member.details[0]
    assert "MemberTypeError.DeleteAccount" in member.details[1]
    resource = prechecks(cloud_client, "DeleteAccount", {"AccountId": CLEAN})[0]
    assert resource.status == "ok" and "ResourceAccount" in resource.details[0]


def test_a_member_of_unknown_type_is_a_warning(cloud_client: CloudClient, sandbox: Sandbox) -> None:
    sandbox.world.accounts[CLEAN].type = ""
    member = prechecks(cloud_client, "DeleteAccount", {"AccountId": CLEAN})[0]
    assert member.status == "warning"
    assert "only resource accounts can be deleted" in member.details[-1]

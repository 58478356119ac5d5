"""The quirks each spec declares, read as their API pages say, and the catalog's shape.

Against the sandbox where a read is made; pure answers where only reading one matters.
"""

from __future__ import annotations

import dataclasses

import pytest

from commands.catalog import CATALOG, DEFAULT_CATALOG, Catalog, OperationClass, get_spec
from commands.catalog.already_done import ALREADY_DONE
from commands.catalog.quirks import NO_QUIRKS
from commands.catalog.resourcemanager_quirks import read_deletion_status
from commands.client import CallResult, CloudClient
from commands.errors import ParameterError
from commands.member_plan import CloudReader as PlanReader
from commands.reads import CloudReader
from commands.sandbox import Sandbox
from tests.support.cloud import call

CLEAN_MEMBER = "1512996702208737"
INSTANCE = "bastionhost-cn-st220aw0001"


def deletion_answer(status: str, reasons: list[dict[str, str]] | None = None) -> CallResult:
    info = {"AccountId": CLEAN_MEMBER, "Status": status, "FailReasonList": reasons or []}
    body = {"RequestId": "R-1", "RdAccountDeletionStatus": info}
    return CallResult(200, None, None, "R-1", None, body)


def test_deletion_status_answers_are_read_as_the_api_page_says() -> None:
    assert read_deletion_status(deletion_answer("Success")).verdict == "SUCCEEDED"
    assert read_deletion_status(deletion_answer("Deleting")).verdict == "RUNNING"
    assert read_deletion_status(deletion_answer("Checking")).verdict == "RUNNING"
    failed = read_deletion_status(
        deletion_answer("DeleteFailed", [{"Name": "FINANCE", "Description": "payer account"}])
    )
    assert failed.verdict == "FAILED" and "FINANCE: payer account" in failed.message
    assert failed.details == ("FINANCE: payer account",)
    assert read_deletion_status(deletion_answer("Weird")).verdict == "UNKNOWN"


def test_only_calls_that_change_the_cloud_have_quirks() -> None:
    # A read is a plain call: quirks on one would be behaviour nothing ever runs.
    for action, spec in CATALOG.items():
        if spec.op_class is OperationClass.READ:
            assert spec.quirks == NO_QUIRKS, action
    followed = [a for a, s in CATALOG.items() if s.quirks.follow_up is not None]
    assert followed == ["DeleteAccount"]
    # Every operation a person may request says what to check when its outcome is unknown.
    for action in DEFAULT_CATALOG.requestable:
        assert CATALOG[action].quirks.what_to_check is not None, action


def test_already_done_is_read_from_the_specs() -> None:
    assert {a: s.quirks.already_done for a, s in CATALOG.items() if s.quirks.already_done.codes} | {
        a: s.quirks.already_done
        for a, s in CATALOG.items()
        if s.quirks.already_done.item_codes or s.quirks.already_done.by_read
    } == ALREADY_DONE


def test_detach_reports_each_item_and_fails_partly_only_where_an_item_failed(
    cloud_client: CloudClient, sandbox: Sandbox
) -> None:
    quirks = get_spec("DetachHostAccountsFromUser").quirks
    assert quirks.items is not None and quirks.item_failures is not None
    raw = {
        "InstanceId": INSTANCE,
        "RegionId": "cn-hangzhou",
        "UserId": "1",
        "Hosts": '[{"HostId":"1","HostAccountIds":["1","99"]}]',
    }
    answer = call(cloud_client, "DetachHostAccountsFromUser", raw)
    assert answer.ok
    [host] = quirks.items(answer.body)
    assert (host.kind, host.id, host.code) == ("Host", "1", "OK")
    assert dict(host.parts) == {"1": "OK", "99": "OBJECT_NOT_FOUND"}
    # A grant that is not there is already done (the page's OBJECT_NOT_FOUND), not a failure.
    assert quirks.item_failures(answer) == ()
    sandbox.world.instances[INSTANCE].hosts["2"].unexpected = True
    hosts = '[{"HostId":"2","HostAccountIds":["3"]},{"HostId":"1"}]'
    partly = call(cloud_client, "DetachHostAccountsFromUser", {**raw, "Hosts": hosts})
    assert partly.ok and quirks.item_failures(partly) == ("host 2 account 3: UNEXPECTED",)


def test_the_reader_refuses_every_call_that_is_not_a_read(cloud_client: CloudClient) -> None:
    assert PlanReader is CloudReader  # one Reader, the member plan's too
    reader = CloudReader(cloud_client)
    for action in ("DeleteAccount", "RegisterDelegatedAdministrator", "ModifyAccountRelation"):
        with pytest.raises(ParameterError) as refused:
            reader.read(action, {"AccountId": CLEAN_MEMBER})
        assert "only reads" in refused.value.field_errors["operation"]
    assert reader.read("GetAccount", {"AccountId": CLEAN_MEMBER}).ok


def test_a_catalog_grows_by_new_actions_only() -> None:
    spec = dataclasses.replace(get_spec("GetAccount"), action="GetAccountAgain")
    larger = DEFAULT_CATALOG.with_specs(spec)
    assert "GetAccountAgain" in larger and "GetAccountAgain" not in DEFAULT_CATALOG
    assert larger.requestable == DEFAULT_CATALOG.requestable
    with pytest.raises(ValueError, match="share an action"):
        DEFAULT_CATALOG.with_specs(get_spec("GetAccount"))
    with pytest.raises(ParameterError):
        Catalog(()).get("GetAccount")

"""The proposal, pure: Discovery values written by hand, the plan they must give.

Table-driven for each member of the plan world (happy, blocked, abandonable, invited,
deletion disabled, not in the directory, a read failed), then the shape of a proposed
plan: order, exact parameters, rollbacks, waves, and gate 2's choice of checks.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from commands.errors import ParameterError
from commands.member_plan import (
    BastionUser,
    CheckItem,
    DeletionCheck,
    Discovery,
    HostGrant,
    ReadFailure,
    UserGrants,
    choose,
    propose,
    signed_params,
)
from commands.member_plan.model import Directory, Member, Payer, Relation

ACCOUNT = "1734100000000001"
MA = "1738376485192612"
USER = BastionUser("cn-hangzhou", "bastionhost-cn-st220aw0001", "3")
DIRECTORY = Directory("rd-offboard01", MA, "Enabled")
MEMBER = Member(
    ACCOUNT, "leaver-project", "ResourceAccount", "CreateSuccess", "rd-offboard01", "created"
)
CLEARED = CheckItem("DELEGATED_ADMINISTRATOR", "ResourceManager", "delegated administrator")
BILLS = CheckItem("UNPAID_BILLS", "Billing", "The member has unpaid bills.")
DOMAIN = CheckItem("DOMAIN", "Domain Names", "The member still holds domain names.")
ODD = CheckItem("SOMETHING_NEW", "Mystery", "A check Offboard has never seen.")
CS = CheckItem("NON_SP_cs", "Container Service", "ACK clusters.")
ECS = CheckItem("NON_SP_ecs", "Elastic Compute Service", "ECS instances.")

LEAVER = Discovery(
    account_id=ACCOUNT,
    bastion_users=(USER,),
    directory=DIRECTORY,
    member=MEMBER,
    services=("actiontrail.aliyuncs.com", "sas.aliyuncs.com"),
    payer=Payer(MA, "management"),
    relations=(Relation(51465, MA, "FinancialTrusteeship", "RELATED"),),
    grants=(
        UserGrants(
            USER,
            (
                HostGrant("5", "app-05", tuple(str(n) for n in range(8, 20))),
                *(HostGrant(str(h), None, (str(100 + h),)) for h in range(6, 17)),
            ),
        ),
    ),
    check=DeletionCheck(True, False, (CLEARED,)),
)
CLEAN = replace(
    LEAVER, services=(), relations=(), grants=(), bastion_users=(), check=DeletionCheck(True, True)
)
GONE = ReadFailure(
    "GetAccount", {"AccountId": ACCOUNT}, "EntityNotExists.Account", "does not exist", "R-1", 404
)
DOWN = ReadFailure("QueryRelationList", {"UserId": MA}, "ServiceUnavailable", "down", "R-2", 503)

CASES = {
    "happy": (LEAVER, [], 5),
    "blocked": (replace(CLEAN, check=DeletionCheck(True, False, (BILLS, DOMAIN))), [], 0),
    "abandonable": (replace(CLEAN, check=DeletionCheck(True, True, (), (CS, ECS))), [], 0),
    "invited": (
        replace(CLEAN, member=replace(MEMBER, type="CloudAccount", join_method="invited")),
        ["CloudAccount", "MemberTypeError.DeleteAccount"],
        0,
    ),
    "deletion disabled": (
        replace(LEAVER, directory=replace(DIRECTORY, member_deletion="Disabled")),
        ["disabled", "NoLicense.ResourceDirectory"],
        0,
    ),
    "not in this directory": (
        replace(LEAVER, member=None, failures=(GONE,)),
        ["not in this resource directory", "EntityNotExists.Account"],
        0,
    ),
    "another directory": (
        replace(LEAVER, member=replace(MEMBER, directory_id="rd-other")),
        ["another resource directory"],
        0,
    ),
    "a read failed": (
        replace(LEAVER, relations=None, failures=(DOWN,)),
        ["incomplete", "QueryRelationList", "ServiceUnavailable", "RequestId R-2"],
        0,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_member_gets_its_plan_or_the_reason_why_not(name: str) -> None:
    found, refusal_words, steps = CASES[name]
    proposal = propose(found)
    assert len(proposal.steps) == steps
    if refusal_words:
        text = " ".join(proposal.refusals)
        assert all(word in text for word in refusal_words), text
        # Nothing destructive (nothing at all) is proposed.
        assert (proposal.proposed, proposal.steps, proposal.deletion) == (False, (), None)
    else:
        assert proposal.proposed and proposal.refusals == ()
        assert proposal.deletion is not None and proposal.deletion.action == "DeleteAccount"
    assert propose(found) == proposal  # pure: the same discovery, the same plan


def test_the_happy_plan_in_order_with_exact_parameters() -> None:
    proposal = propose(LEAVER)
    assert [s.key for s in proposal.steps] == [
        "detach:bastionhost-cn-st220aw0001:3:1",
        "detach:bastionhost-cn-st220aw0001:3:2",
        "deregister:actiontrail.aliyuncs.com",
        "deregister:sas.aliyuncs.com",
        "relieve:51465",
    ]
    first = json.loads(proposal.steps[0].params["Hosts"])
    assert first[0] == {"HostId": "5", "HostAccountIds": [str(n) for n in range(8, 18)]}
    assert len(first) == 10
    second = json.loads(proposal.steps[1].params["Hosts"])
    assert second[0] == {"HostId": "5", "HostAccountIds": ["18", "19"]}
    assert dict(proposal.step("deregister:sas.aliyuncs.com").params) == {
        "AccountId": ACCOUNT,
        "ServicePrincipal": "sas.aliyuncs.com",
    }
    relieve = proposal.step("relieve:51465")
    assert dict(relieve.params) == {"RelationId": "51465"}
    # BssOpenApi's RequestId is derived from the gate's request id: the same every time.
    signed = signed_params(relieve, "OB-42")
    assert signed["RelationId"] == "51465"
    assert signed["RequestId"] == signed_params(relieve, "OB-42")["RequestId"]
    assert signed["RequestId"] != signed_params(relieve, "OB-43")["RequestId"]
    assert proposal.deletion is not None and dict(proposal.deletion.params) == {
        "AccountId": ACCOUNT
    }


def test_what_each_step_clears_how_it_is_undone_and_checked() -> None:
    proposal = propose(LEAVER)
    deregister = proposal.step("deregister:actiontrail.aliyuncs.com")
    assert (
        deregister.reversible
        and "RemoveConfilctAccountAsDelegatedAdministator" in deregister.clears
    )
    [undo] = deregister.rollback
    assert (undo.action, dict(undo.params)) == (
        "RegisterDelegatedAdministrator",
        dict(deregister.params),
    )
    assert deregister.checks[0].action == "ListDelegatedServicesForAccount"
    assert deregister.checks[0].absent == ("actiontrail.aliyuncs.com",)
    relieve = proposal.step("relieve:51465")
    assert not relieve.reversible and relieve.rollback == () and relieve.irreversible
    assert "NotSupport.HasPayerAccount" in relieve.clears
    assert (relieve.checks[0].action, relieve.checks[0].absent) == ("QueryRelationList", ("51465",))
    last = proposal.steps[1]
    assert any(c.action == "ListHostsForUser" and c.empty for c in last.checks)
    assert proposal.deletion is not None and not proposal.deletion.reversible


def test_a_detach_is_undone_by_attaching_exactly_what_it_removed() -> None:
    for step in propose(LEAVER).steps[:2]:
        removed = {
            (h["HostId"], a) for h in json.loads(step.params["Hosts"]) for a in h["HostAccountIds"]
        }
        given_back = {
            (h["HostId"], a)
            for undo in step.rollback
            for h in json.loads(undo.params["Hosts"])
            for a in h["HostAccountIds"]
        }
        assert given_back == removed
        assert all(undo.action == "AttachHostAccountsToUser" for undo in step.rollback)
        # The SDK's 9 accounts per host for Attach: host 5's ten need two calls.
        assert all(
            len(h.get("HostAccountIds", ())) <= 9
            for u in step.rollback
            for h in json.loads(u.params["Hosts"])
        )


def test_waves_say_what_may_run_together() -> None:
    proposal = propose(LEAVER)
    first, second = proposal.waves()
    assert {s.key for s in first} == {
        "detach:bastionhost-cn-st220aw0001:3:1",
        "deregister:actiontrail.aliyuncs.com",
        "deregister:sas.aliyuncs.com",
        "relieve:51465",
    }
    # One user's detach calls run one after another.
    assert [s.key for s in second] == ["detach:bastionhost-cn-st220aw0001:3:2"]
    assert proposal.deletion is not None
    assert set(proposal.deletion.after) == {s.key for s in proposal.steps}


def test_rollback_undoes_the_done_steps_last_first() -> None:
    proposal = propose(LEAVER)
    done = ["deregister:actiontrail.aliyuncs.com", "relieve:51465", "deregister:sas.aliyuncs.com"]
    undo = proposal.rollback(done)
    assert [u.params["ServicePrincipal"] for u in undo] == [
        "sas.aliyuncs.com",
        "actiontrail.aliyuncs.com",
    ]


def test_blockers_no_api_clears_name_who_must_act() -> None:
    found = replace(LEAVER, check=DeletionCheck(True, False, (CLEARED, BILLS, DOMAIN, ODD)))
    proposal = propose(found)
    assert [b.item.check_id for b in proposal.blockers] == [
        "UNPAID_BILLS",
        "DOMAIN",
        "SOMETHING_NEW",
    ]
    who = {b.item.check_id: b.who for b in proposal.blockers}
    assert who["UNPAID_BILLS"] == "the member's finance owner"
    assert who["SOMETHING_NEW"] == "the member account's owner"
    assert "A check Offboard has never seen." in str(proposal.blockers[2])
    # Blockers do not stop the reversible phase: people may clear them meanwhile.
    assert proposal.proposed and len(proposal.steps) == 5


FRESH = DeletionCheck(True, True, (), (CS, ECS))


def test_gate_two_deletes_with_exactly_the_chosen_checks() -> None:
    proposal = propose(replace(CLEAN, check=FRESH))
    assert proposal.abandonable == (CS, ECS)
    step = choose(proposal, FRESH, ["NON_SP_ecs"])
    assert dict(step.params) == {"AccountId": ACCOUNT, "AbandonableCheckId": '["NON_SP_ecs"]'}
    assert dict(choose(proposal, FRESH, []).params) == {"AccountId": ACCOUNT}


@pytest.mark.parametrize(
    ("fresh", "chosen", "words"),
    [
        (FRESH, ["NON_SP_rds"], "Item 1 is not offered"),  # a check the cloud never offered
        (FRESH, ["NON_SP_cs", "NON_SP_cs"], "chosen twice"),
        (FRESH, ["NON_SP_cs\u202e"], "not offered"),  # a look-alike with a bidi override
        (DeletionCheck(True, False, (BILLS,), (CS,)), ["NON_SP_cs"], "does not allow"),
        (DeletionCheck(False, False), [], "does not allow"),
    ],
)
def test_abandoning_what_the_fresh_check_did_not_offer_is_refused(
    fresh: DeletionCheck, chosen: list[str], words: str
) -> None:
    proposal = propose(replace(CLEAN, check=FRESH))
    with pytest.raises(ParameterError) as refused:
        choose(proposal, fresh, chosen)
    assert words in refused.value.field_errors["AbandonableCheckId"]


def test_a_refused_proposal_offers_no_deletion_to_choose() -> None:
    proposal = propose(CASES["invited"][0])
    with pytest.raises(ParameterError):
        choose(proposal, FRESH, [])

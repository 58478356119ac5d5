"""The demo world every sandbox starts from (ids fixed in docs/ARCHITECTURE.md).

- member 1699461245510000: delegated administrator of cloudfw.aliyuncs.com; finance
  relation 51463 with the management account 1738376485192612 as parent.
- member 1512996702208737: clean, deletable at once.
- member 1388102837270001: delegated administrator of config.aliyuncs.com, with an
  abandonable check (container service resources).
- member 1276001234567890: a finance relation (51464) only.
- member 1455000012345678: an invited cloud account (Type CloudAccount): the pre-check
  flags it and DeleteAccount answers MemberTypeError.DeleteAccount.
- bastion host bastionhost-cn-st220aw0001 in cn-hangzhou: user 1 holds hosts 1..3
  with host accounts; user 2 holds host 4. bastionhost-cn-sh9000aw0002 in cn-shanghai.
- the members of a member plan (1734100000000001..3, bastion user 3): ``seed_plan.py``.
"""

from __future__ import annotations

from commands.sandbox.seed_plan import add_plan_members
from commands.sandbox.world import (
    CLOUD_ACCOUNT,
    BastionInstance,
    CheckItem,
    Delegation,
    FinanceRelation,
    Host,
    HostAccount,
    MemberAccount,
    World,
)

MANAGEMENT_ACCOUNT_ID = 1738376485192612
DELEGATED_ADMIN_MEMBER = "1699461245510000"
CLEAN_MEMBER = "1512996702208737"
INVITED_MEMBER = "1455000012345678"
DEMO_INSTANCE_ID = "bastionhost-cn-st220aw0001"
DEMO_REGION_ID = "cn-hangzhou"
SHANGHAI_INSTANCE_ID = "bastionhost-cn-sh9000aw0002"


def _hosts() -> dict[str, Host]:
    def host(host_id: str, name: str, *accounts: tuple[str, str, str]) -> Host:
        return Host(
            host_id,
            name,
            {a: HostAccount(a, account_name, protocol) for a, account_name, protocol in accounts},
        )

    return {
        "1": host("1", "web-01", ("1", "root", "SSH"), ("2", "deploy", "SSH")),
        "2": host("2", "web-02", ("3", "root", "SSH"), ("4", "deploy", "SSH"), ("5", "ops", "SSH")),
        "3": host("3", "win-01", ("6", "Administrator", "RDP")),
        "4": host("4", "db-01", ("7", "postgres", "SSH")),
    }


def demo_world(*, deletion_seconds: float = 1.0, check_seconds: float = 0.0) -> World:
    """A fresh copy of the seeded demo world."""
    world = World(
        management_account_id=MANAGEMENT_ACCOUNT_ID,
        deletion_seconds=deletion_seconds,
        check_seconds=check_seconds,
    )
    for account_id, display, name in (
        (DELEGATED_ADMIN_MEMBER, "security-tools", "security-tools@example-rd"),
        (CLEAN_MEMBER, "sandbox-old", "sandbox-old@example-rd"),
        ("1388102837270001", "audit-config", "audit-config@example-rd"),
        ("1276001234567890", "billing-linked", "billing-linked@example-rd"),
    ):
        world.accounts[account_id] = MemberAccount(account_id, display, name)
    world.accounts[INVITED_MEMBER] = MemberAccount(
        INVITED_MEMBER,
        "partner-invited",
        "partner@example.com",
        join_method="invited",
        type=CLOUD_ACCOUNT,
    )
    world.accounts["1388102837270001"].abandonable_checks.append(
        CheckItem("NON_SP_cs", "Container Service", "The member still has ACK clusters.")
    )
    world.delegations += [
        Delegation(DELEGATED_ADMIN_MEMBER, "cloudfw.aliyuncs.com"),
        Delegation("1388102837270001", "config.aliyuncs.com"),
    ]
    for relation in (
        FinanceRelation(51463, MANAGEMENT_ACCOUNT_ID, int(DELEGATED_ADMIN_MEMBER)),
        FinanceRelation(
            51464, MANAGEMENT_ACCOUNT_ID, 1276001234567890, permissions={"CHECK_FINANCE_INFO"}
        ),
    ):
        world.relations[relation.relation_id] = relation
    world.instances = _instances()
    add_plan_members(world, hangzhou_id=DEMO_INSTANCE_ID, shanghai_id=SHANGHAI_INSTANCE_ID)
    return world


def _instances() -> dict[str, BastionInstance]:
    hangzhou = BastionInstance(
        DEMO_INSTANCE_ID, DEMO_REGION_ID, users={"1": "alice", "2": "bob"}, hosts=_hosts()
    )
    hangzhou.grants = {
        "1": {"1": {"1", "2"}, "2": {"3", "4", "5"}, "3": {"6"}},
        "2": {"4": {"7"}},
    }
    shanghai = BastionInstance(
        SHANGHAI_INSTANCE_ID,
        "cn-shanghai",
        users={"1": "carol"},
        hosts={"1": Host("1", "jump-01", {"1": HostAccount("1", "root")})},
        grants={"1": {"1": {"1"}}},
    )
    return {i.instance_id: i for i in (hangzhou, shanghai)}

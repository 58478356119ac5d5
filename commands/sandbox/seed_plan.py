"""The members of the demo world that play every path of a member plan (issue 10).

- 1734100000000001 "leaver-project": delegated administrator of actiontrail.aliyuncs.com
  and sas.aliyuncs.com, finance relation 51465 (the management account pays), bastion
  user 3 ("leaver") on bastionhost-cn-st220aw0001 holding 12 hosts (5..16; host 5 with 12
  host accounts, so both the 10-host and the 10-account bounds split the detach), and
  user 2 ("leaver") on bastionhost-cn-sh9000aw0002 holding host 2. The plan clears all
  of it; the member then deletes at once (DeletionType 0).
- 1734100000000002 "billing-hold": its check says AllowDelete=false for two items no API
  clears, unpaid bills (UNPAID_BILLS) and domain names (DOMAIN).
- 1734100000000003 "ack-lab": two abandonable checks (NON_SP_cs, NON_SP_ecs). DeleteAccount
  is accepted, but its deletion ends CheckFailed naming every check not abandoned; with
  both abandoned it is deleted after a silence period (DeletionType 1).
- the invited cloud account 1455000012345678 of ``seed.py`` plays the member that can
  never be deleted; ``World.member_deletion_enabled = False`` plays a directory that
  forbids deletion.

The check item IDs are the sandbox's own: the pages we hold do not list Alibaba's.
"""

from __future__ import annotations

from commands.sandbox.world import (
    BastionInstance,
    CheckItem,
    Delegation,
    FinanceRelation,
    Host,
    HostAccount,
    MemberAccount,
    World,
)

LEAVER_MEMBER = "1734100000000001"
BLOCKED_MEMBER = "1734100000000002"
ABANDONABLE_MEMBER = "1734100000000003"
LEAVER_SERVICES = ("actiontrail.aliyuncs.com", "sas.aliyuncs.com")
LEAVER_RELATION = 51465
LEAVER_USER = "3"  # on the Hangzhou bastion host
LEAVER_SHANGHAI_USER = "2"
LEAVER_HOSTS = tuple(str(n) for n in range(5, 17))  # 12 hosts: more than 10 per call
BIG_HOST = "5"  # 12 host accounts: more than 10 per host


def _leaver_hosts() -> tuple[dict[str, Host], dict[str, set[str]]]:
    hosts: dict[str, Host] = {}
    grants: dict[str, set[str]] = {}
    next_account = 8  # host accounts 1..7 belong to hosts 1..4 (seed.py)
    for host_id in LEAVER_HOSTS:
        count = 12 if host_id == BIG_HOST else 1 + int(host_id) % 2
        accounts = {}
        for index in range(count):
            account_id = str(next_account)
            accounts[account_id] = HostAccount(account_id, "root" if index == 0 else f"ops{index}")
            next_account += 1
        hosts[host_id] = Host(host_id, f"app-{int(host_id):02d}", accounts)
        grants[host_id] = set(accounts)
    return hosts, grants


def _bastion(world: World, hangzhou_id: str, shanghai_id: str) -> None:
    hangzhou = world.instances[hangzhou_id]
    hosts, grants = _leaver_hosts()
    hangzhou.hosts.update(hosts)
    hangzhou.users[LEAVER_USER] = "leaver"
    hangzhou.grants[LEAVER_USER] = grants
    shanghai: BastionInstance = world.instances[shanghai_id]
    shanghai.hosts["2"] = Host("2", "jump-02", {"2": HostAccount("2", "root")})
    shanghai.users[LEAVER_SHANGHAI_USER] = "leaver"
    shanghai.grants[LEAVER_SHANGHAI_USER] = {"2": {"2"}}


def add_plan_members(world: World, *, hangzhou_id: str, shanghai_id: str) -> None:
    """Add the plan's members, delegations, relation and bastion grants to ``world``."""
    for account_id, display in (
        (LEAVER_MEMBER, "leaver-project"),
        (BLOCKED_MEMBER, "billing-hold"),
        (ABANDONABLE_MEMBER, "ack-lab"),
    ):
        world.accounts[account_id] = MemberAccount(account_id, display, f"{display}@example-rd")
    world.delegations += [Delegation(LEAVER_MEMBER, service) for service in LEAVER_SERVICES]
    world.relations[LEAVER_RELATION] = FinanceRelation(
        LEAVER_RELATION, world.management_account_id, int(LEAVER_MEMBER)
    )
    world.accounts[BLOCKED_MEMBER].not_allowed += [
        CheckItem("UNPAID_BILLS", "Billing", "The member has unpaid bills."),
        CheckItem("DOMAIN", "Domain Names", "The member still holds domain names."),
    ]
    lab = world.accounts[ABANDONABLE_MEMBER]
    lab.abandonable_checks += [
        CheckItem("NON_SP_cs", "Container Service", "The member still has ACK clusters."),
        CheckItem("NON_SP_ecs", "Elastic Compute Service", "The member still has ECS instances."),
    ]
    lab.deletion_type = "1"
    _bastion(world, hangzhou_id, shanghai_id)

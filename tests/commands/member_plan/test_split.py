"""The 10 × 10 split, as a property: whatever a user holds, every host and host account
lands in exactly one call, no call over the bound, no host twice in a call, and every
call one the catalog itself accepts."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from commands.catalog import get_spec, validate_params
from commands.member_plan import HostGrant
from commands.member_plan.split import (
    ATTACH_BOUND,
    DETACH_BOUND,
    Bound,
    hosts_json,
    parse_entries,
    split,
)

USER = {"InstanceId": "bastionhost-cn-st220aw0001", "RegionId": "cn-hangzhou", "UserId": "3"}


@st.composite
def holdings(draw: st.DrawFn) -> list[HostGrant]:
    host_ids = draw(st.lists(st.integers(1, 500), unique=True, max_size=40))
    grants = []
    for host in host_ids:
        accounts = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=25))
        grants.append(HostGrant(str(host), None, tuple(str(a) for a in accounts)))
    return grants


def _pairs(grants: list[HostGrant]) -> Counter[tuple[str, str | None]]:
    return Counter((g.host_id, a) for g in grants for a in (g.account_ids or (None,)))


def _check(grants: list[HostGrant], bound: Bound, action: str) -> None:
    calls = split(grants, bound)
    covered: Counter[tuple[str, str | None]] = Counter()
    spec = get_spec(action)
    for call in calls:
        assert 1 <= len(call) <= bound.hosts
        hosts = [h for h, _ in call]
        assert len(hosts) == len(set(hosts)), "a HostId twice in one call"
        for host_id, accounts in call:
            assert len(accounts) <= bound.accounts
            covered.update((host_id, a) for a in (accounts or (None,)))
        # The catalog takes the call as it is (and gives back the same entries).
        hosts_param = hosts_json(call)
        validated = validate_params(spec, {**USER, "Hosts": hosts_param})
        assert parse_entries(validated.Hosts) == list(call)  # type: ignore[attr-defined]
    assert covered == _pairs(grants), "every pair exactly once"


@settings(max_examples=150, deadline=None)
@given(holdings())
def test_detach_calls_cover_every_pair_once_within_ten_by_ten(grants: list[HostGrant]) -> None:
    _check(grants, DETACH_BOUND, "DetachHostAccountsFromUser")


@settings(max_examples=150, deadline=None)
@given(holdings())
def test_attach_calls_cover_every_pair_once_within_ten_by_nine(grants: list[HostGrant]) -> None:
    _check(grants, ATTACH_BOUND, "AttachHostAccountsToUser")


def test_the_seed_leaver_needs_two_calls() -> None:
    big = HostGrant("5", None, tuple(str(n) for n in range(8, 20)))
    others = [HostGrant(str(h), None, (str(h),)) for h in range(6, 17)]
    calls = split([big, *others], DETACH_BOUND)
    assert [len(c) for c in calls] == [10, 3]
    assert calls[0][0] == ("5", tuple(str(n) for n in range(8, 18)))
    assert calls[1][0] == ("5", ("18", "19"))


def test_a_host_held_without_accounts_is_one_bare_entry() -> None:
    assert split([HostGrant("7", None, ())], DETACH_BOUND) == [[("7", ())]]
    assert hosts_json([("7", ())]) == '[{"HostId":"7"}]'
    assert split([], DETACH_BOUND) == []

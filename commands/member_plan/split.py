"""Splitting a user's host grants into calls that fit a Bastionhost bound.

DetachHostAccountsFromUser takes "up to 10 host IDs and up to 10 host account IDs for
each host" (its page); AttachHostAccountsToUser, its rollback, 10 hosts and 9 accounts
(the official SDK; see ``commands.catalog.bastionhost_users``). A host with more accounts
than the bound is cut into several entries, which go to different calls, since a call
naming a HostId twice is refused (``canonical_hosts``). A host held without any account
is one entry without ``HostAccountIds``.

Every (host, account) pair lands in exactly one call; calls are filled in host order,
each entry in the first call that has room and does not name its host yet.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from commands.member_plan.model import HostGrant

Entry = tuple[str, tuple[str, ...]]  # (HostId, HostAccountIds; empty: the host alone)


@dataclass(frozen=True)
class Bound:
    hosts: int
    accounts: int


DETACH_BOUND = Bound(hosts=10, accounts=10)
ATTACH_BOUND = Bound(hosts=10, accounts=9)


def entries(grants: Sequence[HostGrant], accounts_per_host: int) -> list[Entry]:
    """One entry per host, or several for a host with more accounts than the bound."""
    out: list[Entry] = []
    for grant in grants:
        ids = tuple(grant.account_ids)
        if not ids:
            out.append((grant.host_id, ()))
            continue
        for start in range(0, len(ids), accounts_per_host):
            out.append((grant.host_id, ids[start : start + accounts_per_host]))
    return out


def pack(items: Sequence[Entry], bound: Bound) -> list[list[Entry]]:
    """``items`` into calls of at most ``bound.hosts`` entries, no HostId twice in a call."""
    calls: list[list[Entry]] = []
    for host_id, accounts in items:
        if len(accounts) > bound.accounts:
            raise ValueError("an entry over the accounts bound: cut it with entries() first")
        target = next(
            (c for c in calls if len(c) < bound.hosts and all(h != host_id for h, _ in c)),
            None,
        )
        if target is None:
            target = []
            calls.append(target)
        target.append((host_id, accounts))
    return calls


def split(grants: Sequence[HostGrant], bound: Bound) -> list[list[Entry]]:
    """The calls that together cover every host and host account of ``grants``."""
    return pack(entries(grants, bound.accounts), bound)


def hosts_json(call: Sequence[Entry]) -> str:
    """The ``Hosts`` parameter of one call, in the catalog's canonical compact JSON."""
    value = [
        {"HostId": host_id, "HostAccountIds": list(accounts)} if accounts else {"HostId": host_id}
        for host_id, accounts in call
    ]
    return json.dumps(value, separators=(",", ":"))


def parse_entries(hosts: str) -> list[Entry]:
    """The entries of a ``Hosts`` value (the inverse of :func:`hosts_json`)."""
    return [
        (str(h["HostId"]), tuple(str(a) for a in h.get("HostAccountIds", ())))
        for h in json.loads(hosts)
    ]

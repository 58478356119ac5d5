"""Discovery: every read-only call a member plan needs, run concurrently, never raising.

    discover(reader, account_id, bastion_users) -> Discovery

The reads (GetResourceDirectory, GetAccount, ListDelegatedServicesForAccount,
GetPayerForAccount then QueryRelationList, per bastion user ListHostsForUser then
ListHostAccountsForUser per host, and the baseline CheckAccountDelete polled through
GetAccountDeletionCheckResult) run on a bounded thread pool; a read that needs another's
answer is started as soon as that answer is in. Each read is retried as every read is
(the client's own policy, inside ``reader``); a read that still fails is recorded in the
Discovery with its Code, Message and RequestId. Only the calling thread builds the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from commands.catalog.quirks import Reader
from commands.member_plan import reads
from commands.member_plan.model import (
    BastionUser,
    Discovery,
    HostGrant,
    Payer,
    ReadFailure,
    UserGrants,
)

DEFAULT_WORKERS = 8


def _id_order(value: str) -> tuple[int, str]:
    """Numeric order for the decimal ids Bastionhost gives, without trusting them to be."""
    return len(value), value


@dataclass
class _Task:
    action: str  # the first read it makes, named in a failure the read itself did not name
    params: Mapping[str, str]
    run: Callable[[], Any]
    then: Callable[[Any], Iterable[_Task]]


@dataclass
class _Found:
    values: dict[str, Any] = field(default_factory=dict)
    hosts: dict[BastionUser, dict[str, HostGrant | None]] = field(default_factory=dict)
    failures: list[ReadFailure] = field(default_factory=list)


def _keep(found: _Found, key: str) -> Callable[[Any], Iterable[_Task]]:
    def then(value: Any) -> Iterable[_Task]:
        found.values[key] = value
        return ()

    return then


def _payer_tasks(
    found: _Found, reader: Reader, account_id: str
) -> Callable[[Any], Iterable[_Task]]:
    def then(payer: Payer) -> Iterable[_Task]:
        found.values["payer"] = payer
        if payer.account_id in (None, account_id):
            found.values["relations"] = ()  # pays for itself: no relation to relieve
            return ()
        payer_id = str(payer.account_id)
        return (
            _Task(
                "QueryRelationList",
                {"UserId": payer_id},
                lambda: reads.relations(reader, payer_id, account_id),
                _keep(found, "relations"),
            ),
        )

    return then


def _host_task(
    slots: dict[str, HostGrant | None],
    reader: Reader,
    user: BastionUser,
    host: tuple[str, str | None],
) -> _Task:
    host_id, name = host
    slots[host_id] = None  # unknown until its accounts are read

    def done(accounts: dict[str, str]) -> Iterable[_Task]:
        slots[host_id] = HostGrant(host_id, name, tuple(sorted(accounts, key=_id_order)), accounts)
        return ()

    return _Task(
        "ListHostAccountsForUser",
        {**user.params(), "HostId": host_id},
        lambda: reads.host_accounts(reader, user, host_id),
        done,
    )


def _user_task(found: _Found, reader: Reader, user: BastionUser) -> _Task:
    def then(listed: tuple[tuple[str, str | None], ...]) -> Iterable[_Task]:
        slots = found.hosts.setdefault(user, {})
        return [_host_task(slots, reader, user, host) for host in listed]

    return _Task("ListHostsForUser", user.params(), lambda: reads.hosts(reader, user), then)


def _first_tasks(
    found: _Found,
    reader: Reader,
    account_id: str,
    users: Sequence[BastionUser],
    poll: reads.CheckPoll,
) -> list[_Task]:
    member = {"AccountId": account_id}
    tasks = [
        _Task(
            "GetResourceDirectory", {}, lambda: reads.directory(reader), _keep(found, "directory")
        ),
        _Task(
            "GetAccount", member, lambda: reads.member(reader, account_id), _keep(found, "member")
        ),
        _Task(
            "ListDelegatedServicesForAccount",
            member,
            lambda: reads.services(reader, account_id),
            _keep(found, "services"),
        ),
        _Task(
            "GetPayerForAccount",
            member,
            lambda: reads.payer(reader, account_id),
            _payer_tasks(found, reader, account_id),
        ),
        _Task(
            "CheckAccountDelete",
            member,
            lambda: reads.deletion_check(reader, account_id, poll),
            _keep(found, "check"),
        ),
    ]
    return tasks + [_user_task(found, reader, user) for user in users]


def _drive(pool: ThreadPoolExecutor, first: list[_Task], found: _Found) -> None:
    pending: dict[Future[Any], _Task] = {pool.submit(t.run): t for t in first}
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            task = pending.pop(future)
            try:
                value = future.result()
            except reads.ReadFailed as failed:
                found.failures.append(failed.failure)
                continue
            except Exception as error:  # a malformed answer, a listing too long: recorded
                found.failures.append(reads.failure(task.action, task.params, error))
                continue
            try:
                follows = list(task.then(value))
            except Exception as error:  # an answer that cannot be taken in: recorded
                found.failures.append(reads.failure(task.action, task.params, error))
                continue
            for follow in follows:
                pending[pool.submit(follow.run)] = follow


def _grants(found: _Found, users: Sequence[BastionUser]) -> tuple[UserGrants, ...]:
    complete = []
    for user in users:
        slots = found.hosts.get(user)
        if slots is None or any(grant is None for grant in slots.values()):
            continue  # its listing or one of its hosts failed: recorded in failures
        hosts = sorted(
            (g for g in slots.values() if g is not None), key=lambda g: _id_order(g.host_id)
        )
        complete.append(UserGrants(user, tuple(hosts)))
    return tuple(complete)


def discover(
    reader: Reader,
    account_id: str,
    bastion_users: Sequence[BastionUser] = (),
    *,
    workers: int = DEFAULT_WORKERS,
    poll: reads.CheckPoll | None = None,
) -> Discovery:
    """Everything a plan for member ``account_id`` needs to know; never raises.

    ``workers`` bounds the reads in flight (1 makes them one after another); ``poll``
    bounds the wait for the baseline deletion check. ``account_id`` and the users must be
    valid already (the modal's fields, ``parse_bastion_users``).
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    counting = reads.NamingReader(reader)
    found = _Found()
    first = _first_tasks(found, counting, account_id, bastion_users, poll or reads.CheckPoll())
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="offboard-discovery") as pool:
        _drive(pool, first, found)
    values = found.values
    return Discovery(
        account_id=account_id,
        bastion_users=tuple(bastion_users),
        directory=values.get("directory"),
        member=values.get("member"),
        services=values.get("services"),
        payer=values.get("payer"),
        relations=values.get("relations"),
        grants=_grants(found, bastion_users),
        check=values.get("check"),
        failures=tuple(sorted(found.failures, key=lambda f: (f.action, sorted(f.params.items())))),
        reads=counting.count,
    )

"""The steps of a member plan: each one catalog call with its parameters as signed.

A :class:`Step` is built through the catalog (``validate_params`` then ``serialize``), so
a plan can never hold a call the catalog would refuse, and ``params`` are the flat
parameters exactly as the official SDK puts them on the wire. The one exception is
BssOpenApi's ``RequestId``, derived from the gate's request id when it is known:
:func:`signed_params` adds it.

Each step says what it clears, whether it can be undone and by which steps (its
``rollback``), which steps must end before it starts (``after``; the rest may run
concurrently), and the reads that verify it afterwards (``checks``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from commands.catalog import get_spec, prepare_params, validate_params
from commands.member_plan.model import BastionUser, HostGrant, Relation
from commands.member_plan.split import (
    ATTACH_BOUND,
    DETACH_BOUND,
    Entry,
    hosts_json,
    split,
)

Phase = Literal["reversible", "deletion", "rollback"]


@dataclass(frozen=True)
class Check:
    """A read that verifies a step afterwards, and what it must show: ``expect`` for
    people; for the machine, the ids its listing must no longer show (``absent``), must
    show (``present``), or that it must be ``empty``. GetAccountDeletionStatus checks
    carry none: its Status says it (``member_plan.verify``)."""

    action: str
    params: Mapping[str, str]
    expect: str
    absent: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    empty: bool = False


@dataclass(frozen=True)
class Step:
    """One call of the plan. ``key`` is unique within the plan and stable across runs."""

    key: str
    phase: Phase
    action: str
    params: Mapping[str, str]
    clears: str
    rollback: tuple[Step, ...] = ()
    irreversible: str = ""  # why it cannot be undone; empty for a reversible step
    after: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()

    @property
    def reversible(self) -> bool:
        return not self.irreversible


def _flat(action: str, raw: Mapping[str, str]) -> Mapping[str, str]:
    spec = get_spec(action)
    return MappingProxyType(spec.serialize(validate_params(spec, raw)))


def signed_params(step: Step, offboard_request_id: str) -> dict[str, str]:
    """The parameters signed when ``step`` is sent as request ``offboard_request_id``."""
    spec = get_spec(step.action)
    params = validate_params(spec, dict(step.params))
    return spec.serialize(prepare_params(spec, params, offboard_request_id=offboard_request_id))


def _hosts_words(call: Sequence[Entry]) -> str:
    return "; ".join(
        f"host {h} (accounts {', '.join(a)})" if a else f"host {h} (the host)" for h, a in call
    )


def _account_checks(user: BastionUser, call: Sequence[Entry], *, gone: bool) -> list[Check]:
    state = "no longer authorized" if gone else "authorized again"
    return [
        Check(
            "ListHostAccountsForUser",
            MappingProxyType({**user.params(), "HostId": host_id}),
            f"host {host_id}: accounts {', '.join(accounts)} {state}",
            absent=accounts if gone else (),
            present=() if gone else accounts,
        )
        for host_id, accounts in call
        if accounts
    ]


def _detach_checks(user: BastionUser, call: Sequence[Entry], last: bool) -> tuple[Check, ...]:
    checks = _account_checks(user, call, gone=True)
    bare = tuple(h for h, a in call if not a)
    if last or bare:
        expect = "no host listed for the user" if last else f"hosts {', '.join(bare)} not listed"
        checks.append(
            Check("ListHostsForUser", MappingProxyType(user.params()), expect, bare, (), last)
        )
    return tuple(checks)


def _attach_checks(user: BastionUser, call: Sequence[Entry]) -> tuple[Check, ...]:
    checks = _account_checks(user, call, gone=False)
    hosts = tuple(h for h, _ in call)
    listed = Check(
        "ListHostsForUser",
        MappingProxyType(user.params()),
        f"hosts {', '.join(hosts)} listed",
        present=hosts,
    )
    return (*checks, listed)


def _attach_rollback(user: BastionUser, key: str, call: Sequence[Entry]) -> tuple[Step, ...]:
    grants = [HostGrant(h, None, a) for h, a in call]
    return tuple(
        Step(
            key=f"{key}.undo{number}",
            phase="rollback",
            action="AttachHostAccountsToUser",
            params=_flat("AttachHostAccountsToUser", {**user.params(), "Hosts": hosts_json(part)}),
            clears=f"gives user {user.user_id} back {_hosts_words(part)}",
            checks=_attach_checks(user, part),
        )
        for number, part in enumerate(split(grants, ATTACH_BOUND), start=1)
    )


def detach_steps(user: BastionUser, grants: Sequence[HostGrant]) -> tuple[Step, ...]:
    """One DetachHostAccountsFromUser per call of at most 10 hosts × 10 accounts; the
    calls of one user run one after another (the pages say nothing of concurrent
    changes to one user's grants)."""
    calls = split(grants, DETACH_BOUND)
    steps: list[Step] = []
    for number, call in enumerate(calls, start=1):
        key = f"detach:{user.instance_id}:{user.user_id}:{number}"
        steps.append(
            Step(
                key=key,
                phase="reversible",
                action="DetachHostAccountsFromUser",
                params=_flat(
                    "DetachHostAccountsFromUser", {**user.params(), "Hosts": hosts_json(call)}
                ),
                clears=(
                    f"user {user.user_id}'s access on {user.instance_id} to {_hosts_words(call)}"
                ),
                rollback=_attach_rollback(user, key, call),
                after=(steps[-1].key,) if steps else (),
                checks=_detach_checks(user, call, last=number == len(calls)),
            )
        )
    return tuple(steps)


def deregister_step(account_id: str, service: str) -> Step:
    """DeregisterDelegatedAdministrator for one service; undone by registering again."""
    raw = {"AccountId": account_id, "ServicePrincipal": service}
    return Step(
        key=f"deregister:{service}",
        phase="reversible",
        action="DeregisterDelegatedAdministrator",
        params=_flat("DeregisterDelegatedAdministrator", raw),
        clears=(
            f"delegated administrator of {service} (RemoveConfilctAccountAsDelegatedAdministator)"
        ),
        rollback=(
            Step(
                key=f"deregister:{service}.undo1",
                phase="rollback",
                action="RegisterDelegatedAdministrator",
                params=_flat("RegisterDelegatedAdministrator", raw),
                clears=f"makes the member delegated administrator of {service} again",
                checks=(
                    Check(
                        "ListDelegatedServicesForAccount",
                        MappingProxyType({"AccountId": account_id}),
                        f"{service} listed again",
                        present=(service,),
                    ),
                ),
            ),
        ),
        checks=(
            Check(
                "ListDelegatedServicesForAccount",
                MappingProxyType({"AccountId": account_id}),
                f"{service} no longer listed",
                absent=(service,),
            ),
        ),
    )


def relieve_step(relation: Relation) -> Step:
    """RelieveAccountRelation by RelationId; no API in the catalog puts a relation back."""
    return Step(
        key=f"relieve:{relation.relation_id}",
        phase="reversible",
        action="RelieveAccountRelation",
        params=_flat("RelieveAccountRelation", {"RelationId": str(relation.relation_id)}),
        clears=(
            f"finance relation {relation.relation_id} with payer {relation.payer_account_id} "
            "(NotSupport.HasPayerAccount)"
        ),
        irreversible=(
            "A finance relation is set up again only by the two accounts agreeing to it, "
            "outside Offboard."
        ),
        checks=(
            Check(
                "QueryRelationList",
                MappingProxyType({"UserId": relation.payer_account_id}),
                f"relation {relation.relation_id} no longer in force",
                absent=(str(relation.relation_id),),
            ),
        ),
    )


def deletion_step(
    account_id: str, abandon: Sequence[str] = (), *, after: Sequence[str] = ()
) -> Step:
    """DeleteAccount with exactly the AbandonableCheckId ``abandon`` (validated by the
    catalog; whether each was offered is :func:`commands.member_plan.proposal.choose`'s)."""
    raw = {"AccountId": account_id}
    if abandon:
        raw["AbandonableCheckId"] = ",".join(abandon)
    return Step(
        key="delete",
        phase="deletion",
        action="DeleteAccount",
        params=_flat("DeleteAccount", raw),
        clears="the member account itself",
        irreversible="A deleted member and all its resources cannot be recovered.",
        after=tuple(after),
        checks=(
            Check(
                "GetAccountDeletionStatus",
                MappingProxyType({"AccountId": account_id}),
                "Status Success",
            ),
        ),
    )

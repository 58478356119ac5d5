"""The proposal: what a member plan will do, in order, from what discovery found. Pure.

    propose(discovery) -> Proposal
    choose(proposal, fresh_check, abandon) -> Step   the DeleteAccount of gate 2

The reversible phase (gate 1) detaches each named bastion user's hosts and host accounts
(split into calls of at most 10 × 10), deregisters the member from each trusted service it
administers, and relieves each finance relation by RelationId. The deletion phase (gate 2)
is DeleteAccount after a fresh check, with exactly the AbandonableCheckId the requester
chooses from what that check offers. When discovery failed, or found a member that cannot
be deleted, the proposal says why and holds no step at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from commands.errors import ParameterError
from commands.member_plan import blockers as _blockers
from commands.member_plan.blockers import Blocker
from commands.member_plan.model import CheckItem, DeletionCheck, Discovery, ReadFailure
from commands.member_plan.steps import (
    Step,
    deletion_step,
    deregister_step,
    detach_steps,
    relieve_step,
)

# GetAccount's Type for a member the directory created; only these can be deleted (the
# DeleteAccount page: "Deletes a member of the resource account type").
RESOURCE_ACCOUNT = "ResourceAccount"
NOT_A_MEMBER = "EntityNotExists.Account"


@dataclass(frozen=True)
class Proposal:
    """A member plan as proposed. ``refusals`` empty: ``steps`` and ``deletion`` hold it."""

    account_id: str
    member_name: str | None
    steps: tuple[Step, ...]
    deletion: Step | None
    blockers: tuple[Blocker, ...]
    abandonable: tuple[CheckItem, ...]
    refusals: tuple[str, ...]
    failures: tuple[ReadFailure, ...]

    @property
    def proposed(self) -> bool:
        """Whether anything is proposed at all (no refusal)."""
        return not self.refusals

    def step(self, key: str) -> Step:
        """The step ``key`` of either phase; ``KeyError`` when the plan has none."""
        candidates = list(self.steps)
        if self.deletion is not None:
            candidates.append(self.deletion)
        for step in candidates:
            if step.key == key:
                return step
        raise KeyError(key)

    def waves(self) -> list[tuple[Step, ...]]:
        """The reversible phase in waves: the steps of one wave may run concurrently,
        each wave after the one before it has ended."""
        done: set[str] = set()
        left = list(self.steps)
        waves: list[tuple[Step, ...]] = []
        while left:
            wave = tuple(s for s in left if set(s.after) <= done)
            if not wave:
                raise ValueError("a step waits for a step not in the plan")
            waves.append(wave)
            done |= {s.key for s in wave}
            left = [s for s in left if s.key not in done]
        return waves

    def rollback(self, done: Sequence[str]) -> tuple[Step, ...]:
        """The steps that undo the reversible steps ``done`` (by key), last done first;
        irreversible steps have none (their ``irreversible`` says why)."""
        steps = [self.step(key) for key in done]
        return tuple(undo for step in reversed(steps) for undo in step.rollback)


def _failure_reason(failure: ReadFailure) -> str:
    if failure.action == "GetAccount" and failure.code == NOT_A_MEMBER:
        return (
            f"Member {failure.params.get('AccountId')} is not in this resource directory "
            f"(GetAccount answered {NOT_A_MEMBER}): there is nothing to offboard here."
        )
    return f"Discovery is incomplete: {failure}. Run the plan again once the read succeeds."


def _refusals(found: Discovery) -> list[str]:
    reasons = [_failure_reason(f) for f in found.failures]
    directory, member = found.directory, found.member
    if directory is not None and not directory.deletion_enabled:
        reasons.append(
            "Member deletion is disabled for this resource directory (MemberDeletionStatus "
            f"{directory.member_deletion or 'unknown'}): DeleteAccount would answer "
            "NoLicense.ResourceDirectory. A directory administrator must enable it first."
        )
    if member is not None and member.type != RESOURCE_ACCOUNT:
        reasons.append(
            f"Member {found.account_id} is a {member.type or 'member of unknown type'} "
            f"({member.join_method or 'join method unknown'}), not a resource account: "
            "DeleteAccount would answer MemberTypeError.DeleteAccount. Remove it from the "
            "directory in the console instead."
        )
    ids = (directory.directory_id if directory else None, member.directory_id if member else None)
    if None not in ids and ids[0] != ids[1]:
        reasons.append(f"Member {found.account_id} belongs to another resource directory.")
    return reasons


def propose(found: Discovery) -> Proposal:
    """The plan for what ``found`` says; pure (no call, no clock)."""
    check = found.check
    blockers = _blockers.manual(check.not_allowed) if check else ()
    abandonable = check.abandonable if check else ()
    name = found.member.display_name if found.member else None
    refusals = tuple(_refusals(found))
    if refusals:
        return Proposal(
            found.account_id, name, (), None, blockers, abandonable, refusals, found.failures
        )
    steps: list[Step] = []
    for grants in found.grants:
        steps += detach_steps(grants.user, grants.hosts)
    steps += [deregister_step(found.account_id, service) for service in found.services or ()]
    steps += [relieve_step(relation) for relation in found.relations or ()]
    deletion = deletion_step(found.account_id, after=[s.key for s in steps])
    return Proposal(
        found.account_id, name, tuple(steps), deletion, blockers, abandonable, (), found.failures
    )


def choose(proposal: Proposal, fresh: DeletionCheck, abandon: Sequence[str]) -> Step:
    """Gate 2's DeleteAccount, abandoning exactly ``abandon``.

    Refused (``ParameterError`` on ``AbandonableCheckId``) when the fresh check is not
    complete, does not allow deletion, or does not offer one of the chosen IDs: only a
    check the cloud itself offered as abandonable can be abandoned.
    """
    if proposal.deletion is None:
        raise ParameterError({"operation": "This plan proposes no deletion."})
    if not fresh.complete or not fresh.allow_delete:
        raise ParameterError(
            {"AbandonableCheckId": "The fresh deletion check does not allow deletion yet."}
        )
    offered = set(fresh.abandonable_ids)
    for index, check_id in enumerate(abandon, start=1):
        if check_id not in offered:
            raise ParameterError(
                {"AbandonableCheckId": f"Item {index} is not offered by the fresh check."}
            )
    if len(set(abandon)) != len(abandon):
        raise ParameterError({"AbandonableCheckId": "A check is chosen twice."})
    return deletion_step(proposal.account_id, abandon, after=proposal.deletion.after)

"""Offboarding a member as one plan: everything the plan needs from the cloud.

``bot/`` builds its gates, cards and storage on these and names no operation itself:

    parse_bastion_users(text)            the modal's ``BastionhostUsers`` lines
    CloudReader(client)                  the read-only Reader (``commands.reads``)
    discover(reader, account_id, users)  -> Discovery (reads run concurrently, never raise)
    propose(discovery)                   -> Proposal (pure: ordered steps, rollbacks,
                                            blockers for people, or why nothing is proposed)
    choose(proposal, fresh, abandon)     -> Step (gate 2's DeleteAccount)
    signed_params(step, request_id)      the parameters as they will be signed
    verify(reader, step)                 -> Progress (the step's reads afterwards)
    recheck(reader, account_id)          -> DeletionCheck (fresh, polled to PreCheckComplete)
    settle(reader, step, result/error)   -> Settled (done, already done, failed, unknown)
"""

from commands.member_plan.blockers import Blocker
from commands.member_plan.discovery import discover
from commands.member_plan.model import (
    BastionUser,
    CheckItem,
    DeletionCheck,
    Discovery,
    HostGrant,
    ReadFailure,
    UserGrants,
)
from commands.member_plan.outcome import Settled, settle
from commands.member_plan.proposal import Proposal, choose, propose
from commands.member_plan.reads import CheckPoll
from commands.member_plan.steps import Check, Step, signed_params
from commands.member_plan.users import parse_bastion_users
from commands.member_plan.verify import recheck, verify
from commands.reads import CloudReader

__all__ = [
    "BastionUser",
    "Blocker",
    "Check",
    "CheckItem",
    "CheckPoll",
    "CloudReader",
    "DeletionCheck",
    "Discovery",
    "HostGrant",
    "Proposal",
    "ReadFailure",
    "Settled",
    "Step",
    "UserGrants",
    "choose",
    "discover",
    "parse_bastion_users",
    "propose",
    "recheck",
    "settle",
    "signed_params",
    "verify",
]

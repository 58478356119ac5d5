"""BssOpenApi's quirks: a finance relation is looked up before it is ended.

RelieveAccountRelation, ModifyAccountRelation
    prechecks      QueryRelationList of the parent (or child) account: the relation in
                   effect that the call would change
    what_to_check  QueryRelationList, the relation's state
RelieveAccountRelation
    already_done   by the read: its page documents no code for a relation already
                   relieved, so only QueryRelationList no longer showing it counts
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from commands.catalog.quirks import AlreadyDone, Checks, Finding, Quirks, guarded


def _relation_prechecks(checks: Checks, params: Any) -> list[Finding]:
    title = "Finance relation"
    uid = params.ParentUserId or params.ChildUserId or checks.caller_uid
    if uid is None:
        why = f"Relation {params.RelationId} not looked up: give ParentUserId to see it."
        return [Finding(title, "warning", (why,))]

    def matches(row: Mapping[str, Any]) -> bool:
        if params.RelationId is not None:
            return bool(row.get("RelationId") == params.RelationId)
        other = params.ChildUserId if uid == params.ParentUserId else params.ParentUserId
        return bool(row.get("AccountId") == other)

    def run() -> Finding:
        body = checks.read("QueryRelationList", {"UserId": uid})
        rows = (body.get("Data") or {}).get("FinancialRelationInfoList") or []
        found = [row for row in rows if matches(row)]
        if not found:
            return Finding(title, "blocked", (f"No relation in effect matches for account {uid}.",))
        return Finding(
            title,
            "ok",
            tuple(
                f"Relation {r.get('RelationId')}: {r.get('RelationType')} {r.get('State')} with "
                f"{r.get('AccountType', '').lower()} {r.get('AccountId')} "
                f"since {r.get('StartTime')}"
                for r in found
            ),
        )

    return [guarded(title, run)]


def _check_relation(params: Mapping[str, str]) -> str:
    target = params.get("RelationId") or (
        f"{params.get('ParentUserId')} -> {params.get('ChildUserId')}"
    )
    return f"Run QueryRelationList and check the state of relation {target}."


RELIEVE_ACCOUNT_RELATION = Quirks(
    prechecks=_relation_prechecks,
    what_to_check=_check_relation,
    already_done=AlreadyDone(by_read=True),
)

MODIFY_ACCOUNT_RELATION = Quirks(prechecks=_relation_prechecks, what_to_check=_check_relation)

"""Reading the plan modal's ``BastionhostUsers``: one ``RegionId InstanceId UserId`` a line.

Each line is checked by the catalog's own rules (ListHostsForUser's ``RegionId``,
``InstanceId`` and ``UserId``), so a line that passes is one the reads and the detach
calls accept. A refusal names the line, never echoes it (it may be hostile text).
"""

from __future__ import annotations

from commands.catalog import get_spec, validate_params
from commands.errors import ParameterError
from commands.member_plan.model import BastionUser

FIELD = "BastionhostUsers"  # the modal input's block_id / action_id (docs/INTERFACE.md)

# Offboard limit: every user's steps are shown on one plan card.
MAX_USERS = 20


def _line(number: int, text: str) -> BastionUser:
    parts = text.split()
    if len(parts) != 3:
        raise ValueError(f"Line {number}: give RegionId InstanceId UserId, separated by spaces.")
    region, instance, user = parts
    try:
        validate_params(
            get_spec("ListHostsForUser"),
            {"RegionId": region, "InstanceId": instance, "UserId": user},
        )
    except ParameterError as error:
        name, why = next(iter(error.field_errors.items()))
        raise ValueError(f"Line {number}: {name}: {why}") from None
    return BastionUser(region, instance, user)


def parse_bastion_users(text: str | None) -> tuple[BastionUser, ...]:
    """The users named in ``text`` (blank lines ignored; none is fine).

    Raises ``ParameterError({"BastionhostUsers": ...})`` for a malformed line, a user
    given twice, or more than ``MAX_USERS`` users.
    """
    users: list[BastionUser] = []
    lines = [line.strip() for line in (text or "").splitlines()]
    try:
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            user = _line(number, line)
            if any((u.instance_id, u.user_id) == (user.instance_id, user.user_id) for u in users):
                raise ValueError(f"Line {number}: this user is already listed.")
            users.append(user)
    except ValueError as error:
        raise ParameterError({FIELD: str(error)}) from None
    if len(users) > MAX_USERS:
        raise ParameterError({FIELD: f"At most {MAX_USERS} users."})
    return tuple(users)

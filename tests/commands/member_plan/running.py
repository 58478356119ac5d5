"""Helpers for the member plan's tests: the sandbox's plan members, and sending a step
the way the bot will (validated, prepared with a request id, signed, sent once)."""

from __future__ import annotations

from commands.catalog import get_spec, prepare_params, validate_params
from commands.client import CloudClient
from commands.errors import CloudError
from commands.member_plan import BastionUser, CheckPoll, Step, parse_bastion_users
from commands.responses import CallResult
from commands.sandbox.seed import DEMO_INSTANCE_ID
from commands.sandbox.seed_plan import LEAVER_SHANGHAI_USER, LEAVER_USER

NO_WAIT = CheckPoll(sleep=lambda _seconds: None)

LEAVER_USERS_TEXT = (
    f"cn-hangzhou {DEMO_INSTANCE_ID} {LEAVER_USER}\n"
    f"cn-shanghai bastionhost-cn-sh9000aw0002 {LEAVER_SHANGHAI_USER}\n"
)
LEAVER_USERS: tuple[BastionUser, ...] = parse_bastion_users(LEAVER_USERS_TEXT)


def send(client: CloudClient, step: Step, request_id: str = "OB-PLAN-1") -> CallResult | CloudError:
    """Send ``step`` once as request ``request_id``: its answer, or the error it raised."""
    spec = get_spec(step.action)
    params = prepare_params(
        spec,
        validate_params(spec, dict(step.params)),
        offboard_request_id=f"{request_id}:{step.key}",
    )
    try:
        return client.call(spec, params)
    except CloudError as error:
        return error

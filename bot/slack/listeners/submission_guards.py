"""What a modal submission must pass besides the catalog's rules, each a field error.

- It must name an operation the form offers (one that changes the cloud).
- Its values must not nest JSON deeper than :data:`~bot.slack.bounds.MAX_JSON_DEPTH`
  (a list typed as a JSON array is parsed; Python's decoder raises RecursionError on
  deep input, which would reach the person as "Something went wrong").
- The call must be buildable: a regional operation without ``RegionId`` has no endpoint
  unless an override is set (``CloudClient.endpoint_for`` says so, keyed ``RegionId``).
  Refused here, it can never be approved, marked sent and then fail to build.
- Every parameter must fit on the approval card in full (:mod:`bot.slack.views.params`).
- It must carry the id of the view it came from: that id is the request's submission
  key, UNIQUE in storage, so a replayed submission files nothing new.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel

from bot.slack import bounds
from bot.slack.views.params import parameter_problems
from bot.slack.views.submission import OPERATION, Submission
from commands.catalog import REQUESTABLE_ACTIONS, OperationSpec, prepare_params
from commands.client import CloudClient
from commands.errors import ParameterError

# Any id of the shape our request ids have: prepare_params derives BssOpenApi's RequestId
# from it, and only its length matters for whether the card fits.
_PLACEHOLDER_REQUEST_ID = "OB-00000000"
_MAX_VIEW_ID = 200


def operation_problems(
    spec: OperationSpec, requestable: Collection[str] = REQUESTABLE_ACTIONS
) -> dict[str, str]:
    """A field error when the form never offered this operation (a read, say).

    The picker lists only the operations that change the cloud (``requestable``, the
    bot's catalog's); a submission naming any other was not made with our form, and a
    read must not run as an approved request.
    """
    if spec.action in requestable:
        return {}
    if not spec.op_class.changes_cloud:
        return {
            OPERATION: f"{spec.action} only reads: it needs no approval and is never a "
            f"request. Run it with offboard-bot call {spec.action} on the bot's host."
        }
    return {OPERATION: "Offboard takes no requests for this operation; pick one from the list."}


def nesting_problems(submission: Submission) -> dict[str, str]:
    """Field errors for values that are JSON nested too deeply to read."""
    limit = bounds.MAX_JSON_DEPTH
    return {
        name: f"Nested deeper than {limit} levels; Offboard reads JSON at most {limit} deep."
        for name, value in submission.raw_params.items()
        if bounds.too_deep(value, limit)
    }


def build_problems(spec: OperationSpec, params: BaseModel, cloud: CloudClient) -> dict[str, str]:
    """Field errors for a call that could not be built or shown in full to approvers."""
    try:
        cloud.endpoint_for(spec, params)
    except ParameterError as error:
        return dict(error.field_errors)
    prepared = prepare_params(spec, params, offboard_request_id=_PLACEHOLDER_REQUEST_ID)
    return parameter_problems(spec.serialize(prepared))


def submission_key(body: Mapping[str, Any]) -> str:
    """``slack-view:<team>:<view id>``, the key that files at most one request.

    Slack gives every view an id, and a view_submission carries it; one without is not a
    form we opened, and is refused at the picker.
    """
    view = body.get("view")
    view_id = view.get("id") if isinstance(view, Mapping) else None
    if not isinstance(view_id, str) or not 0 < len(view_id) <= _MAX_VIEW_ID:
        raise ParameterError({OPERATION: "The form could not be read; open it again."})
    team = body.get("team")
    team_id = team.get("id") if isinstance(team, Mapping) else None
    return f"slack-view:{team_id if isinstance(team_id, str) else ''}:{view_id}"

"""bot.slack.views.modal: the picker, an operation's modal, its submission and its errors."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.views import modal
from commands.catalog import REQUESTABLE_ACTIONS, get_spec, validate_params
from commands.errors import ParameterError
from tests.bot.slack.views.blockkit_checks import assert_cannot_ping, check_modal

MEMBER = "1699461245510000"


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def slack_state(view: dict[str, Any], typed: dict[str, str] | None = None) -> dict[str, Any]:
    """The view as Slack sends it back: state.values from initial values plus ``typed``."""
    values: dict[str, Any] = {}
    for block_id, block in inputs(view).items():
        element = block["element"]
        value = (typed or {}).get(block_id)
        if element["type"] == "static_select":
            option = element.get("initial_option")
            if value is not None:
                option = {"text": {"type": "plain_text", "text": value}, "value": value}
            state = {"type": "static_select", "selected_option": option}
        else:
            state = {"type": "plain_text_input", "value": value or element.get("initial_value")}
        values[block_id] = {element["action_id"]: state}
    return view | {"id": "V1", "hash": "h", "state": {"values": values}}


def test_picker_is_a_dispatching_input_named_operation() -> None:
    view = modal.build_picker()
    check_modal(view)
    [picker] = inputs(view).values()
    assert picker["block_id"] == picker["element"]["action_id"] == "operation"
    assert picker["dispatch_action"] is True
    assert picker["element"]["type"] == "static_select"
    # Every requestable operation, then the member plan (docs/INTERFACE.md: the option `member`).
    options = picker["element"]["options"]
    assert [o["value"] for o in options] == [*REQUESTABLE_ACTIONS, "member"]
    assert options[-1]["text"]["text"] == "Offboard a member account"
    assert "initial_option" not in picker["element"]
    assert view["callback_id"] == modal.CALLBACK_ID


def test_picker_preselects_a_known_operation_only() -> None:
    view = modal.build_picker({"operation": "DeleteAccount"}, private_metadata="C1")
    assert inputs(view)["operation"]["element"]["initial_option"]["value"] == "DeleteAccount"
    assert view["private_metadata"] == "C1"
    bogus = modal.build_picker({"operation": "<!channel>"})
    assert "initial_option" not in inputs(bogus)["operation"]["element"]


@pytest.mark.parametrize("action", REQUESTABLE_ACTIONS)
def test_operation_modal_has_one_input_per_parameter_named_as_the_api(action: str) -> None:
    spec = get_spec(action)
    view = modal.build_operation_modal(spec, values={}, private_metadata="meta")
    check_modal(view)
    blocks = inputs(view)
    names = [f.name for f in spec.fields()]
    assert list(blocks) == ["operation", *names, "reason"]
    for name, block in blocks.items():
        assert block["element"]["action_id"] == name
    for f in spec.fields():
        assert blocks[f.name].get("optional", False) is (not f.required)
    assert blocks["reason"].get("optional", False) is False
    assert blocks["operation"]["element"]["initial_option"]["value"] == action
    statement = view["blocks"][1]["text"]["text"]
    assert action in statement and spec.danger[:40] in statement
    assert "Nothing runs when you submit" in statement


def test_prefilled_values_are_initial_values_and_the_summary_is_shown() -> None:
    spec = get_spec("DeleteAccount")
    view = modal.build_operation_modal(
        spec, values={"AccountId": MEMBER, "reason": "leaver"}, private_metadata=""
    )
    blocks = inputs(view)
    assert blocks["AccountId"]["element"]["initial_value"] == MEMBER
    assert blocks["reason"]["element"]["initial_value"] == "leaver"
    assert f"Delete member account {MEMBER}" in view["blocks"][1]["text"]["text"]


def test_invalid_prefill_is_kept_for_the_user_to_fix_without_a_summary() -> None:
    spec = get_spec("DeleteAccount")
    view = modal.build_operation_modal(spec, values={"AccountId": "12"}, private_metadata="")
    assert inputs(view)["AccountId"]["element"]["initial_value"] == "12"
    assert "Delete member account" not in view["blocks"][1]["text"]["text"]


def test_enum_parameters_are_selects_with_the_prefilled_option() -> None:
    spec = get_spec("ModifyAccountRelation")
    view = modal.build_operation_modal(
        spec, values={"RelationOperation": "DELETE"}, private_metadata=""
    )
    element = inputs(view)["RelationOperation"]["element"]
    assert element["type"] == "static_select"
    assert [o["value"] for o in element["options"]] == ["ADD", "DELETE"]
    assert element["initial_option"]["value"] == "DELETE"
    # A list parameter with an enum is typed as text (comma-separated), not a select.
    assert inputs(view)["PermissionCodes"]["element"]["type"] == "plain_text_input"


def test_hosts_json_is_multiline() -> None:
    view = modal.build_operation_modal(
        get_spec("DetachHostAccountsFromUser"), values={}, private_metadata=""
    )
    assert inputs(view)["Hosts"]["element"]["multiline"] is True


def test_hostile_prefill_is_returned_verbatim_but_rendered_nowhere() -> None:
    hostile = "<!channel> <@U0EVIL1> <https://evil|x>"
    view = modal.build_operation_modal(
        get_spec("ModifyAccountRelation"),
        values={"ChildNick": hostile, "reason": hostile},
        private_metadata="",
    )
    # A form value goes back as typed, it is not markup; nothing rendered contains it.
    assert inputs(view)["ChildNick"]["element"]["initial_value"] == hostile
    rendered = [b for b in view["blocks"] if b["type"] != "input"]
    assert_cannot_ping(rendered)


def test_switching_operation_keeps_shared_block_ids() -> None:
    # Slack keeps typed input across views.update when block_id and action_id are reused.
    first = inputs(
        modal.build_operation_modal(get_spec("DeleteAccount"), values={}, private_metadata="")
    )
    second = inputs(
        modal.build_operation_modal(
            get_spec("DeregisterDelegatedAdministrator"), values={}, private_metadata=""
        )
    )
    assert first["AccountId"] == second["AccountId"]


def test_private_metadata_over_slacks_limit_is_refused() -> None:
    spec = get_spec("DeleteAccount")
    modal.build_operation_modal(spec, values={}, private_metadata="x" * 3000)
    with pytest.raises(ValueError, match="3000"):
        modal.build_operation_modal(spec, values={}, private_metadata="x" * 3001)


def test_overlong_prefill_is_dropped_not_cut() -> None:
    view = modal.build_operation_modal(
        get_spec("DetachHostAccountsFromUser"),
        values={"Hosts": "x" * 3001, "reason": "y" * 1001},
        private_metadata="",
    )
    assert "initial_value" not in inputs(view)["Hosts"]["element"]
    assert "initial_value" not in inputs(view)["reason"]["element"]
    assert inputs(view)["reason"]["element"]["max_length"] == modal.MAX_REASON


@pytest.mark.parametrize("action", REQUESTABLE_ACTIONS)
def test_parse_round_trips_what_was_prefilled(action: str) -> None:
    spec = get_spec(action)
    values = {f.name: (f.options[0] if f.options else f.placeholder) for f in spec.fields()}
    view = modal.build_operation_modal(
        spec, values=values | {"reason": "leaver ticket 42"}, private_metadata="m"
    )
    submission = modal.parse_submission(slack_state(view))
    assert submission == modal.Submission(action, values, "leaver ticket 42", "m")


def test_parse_strips_and_drops_empty_inputs() -> None:
    view = modal.build_operation_modal(get_spec("DeleteAccount"), values={}, private_metadata="")
    state = slack_state(
        view, {"AccountId": f"  {MEMBER}\n", "AbandonableCheckId": "", "reason": " "}
    )
    submission = modal.parse_submission(state)
    assert submission.raw_params == {"AccountId": MEMBER}
    assert submission.reason is None


def test_parse_takes_the_operation_from_the_picker_state() -> None:
    view = modal.build_picker()
    submission = modal.parse_submission(slack_state(view, {"operation": "DeleteAccount"}))
    assert submission.action == "DeleteAccount" and submission.raw_params == {}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"state": None},
        {"state": {"values": []}},
        {"state": {"values": {"operation": {"operation": {"selected_option": None}}}}},
    ],
)
def test_parse_refuses_unreadable_or_operation_less_views(payload: dict[str, Any]) -> None:
    with pytest.raises(ParameterError) as info:
        modal.parse_submission(payload)
    assert list(info.value.field_errors) == ["operation"]


@pytest.mark.parametrize("action", REQUESTABLE_ACTIONS)
def test_only_the_picker_view_is_a_picker(action: str) -> None:
    assert modal.is_picker(modal.build_picker())
    operation = modal.build_operation_modal(get_spec(action), values={}, private_metadata="")
    assert not modal.is_picker(operation)


def test_selected_operation_reads_the_picker_action() -> None:
    body = {
        "actions": [
            {"action_id": "operation", "selected_option": {"value": "DeleteAccount"}},
        ]
    }
    assert modal.selected_operation(body) == "DeleteAccount"
    assert modal.selected_operation({"actions": [{"action_id": "approve", "value": "r"}]}) is None
    assert modal.selected_operation({}) is None


@pytest.mark.parametrize("action", REQUESTABLE_ACTIONS)
def test_every_catalog_error_lands_on_an_input_block_of_the_modal(action: str) -> None:
    spec = get_spec(action)
    view = slack_state(modal.build_operation_modal(spec, values={}, private_metadata=""))
    with pytest.raises(ParameterError) as info:
        validate_params(spec, {})
    # The catalog keys errors by API parameter name, which is the modal's block_id:
    # nothing needs moving, each message is shown next to its own field.
    assert set(info.value.field_errors) <= set(inputs(view))
    assert modal.field_errors_for_slack(info.value, view) == info.value.field_errors


def test_errors_on_fields_not_in_the_modal_go_to_the_picker_named() -> None:
    view = modal.build_operation_modal(get_spec("DeleteAccount"), values={}, private_metadata="")
    error = ParameterError({"AccountId": "Required.", "RelationId": "Give it", "operation": "Bad"})
    assert modal.field_errors_for_slack(error, view) == {
        "AccountId": "Required.",
        "operation": "RelationId: Give it Bad",
    }


def test_errors_without_a_picker_go_to_the_first_input() -> None:
    view = {"blocks": [{"type": "section"}, {"type": "input", "block_id": "A"}]}
    assert modal.field_errors_for_slack(ParameterError({"B": "no"}), view) == {"A": "B: no"}


def test_errors_without_a_view_pass_through_and_are_cut() -> None:
    errors = modal.field_errors_for_slack(ParameterError({"reason": "x" * 900}))
    assert list(errors) == ["reason"] and len(errors["reason"]) == modal.MAX_ERROR

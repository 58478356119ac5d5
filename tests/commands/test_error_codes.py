"""Every error code of the five API pages: in the catalog as the page gives it, classed
by the page's HTTP status, and with a next step for people.

The page texts are tests/commands/api_pages/ (verbatim copies of the reference pages);
the test reads each page's "Error codes" table and matches every row to exactly one
catalog entry, so a code, status or message that drifts from its page fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commands.catalog import CATALOG, REQUESTABLE_ACTIONS, get_spec, validate_params
from commands.catalog.error_codes import ErrorCode
from commands.catalog.page_errors import REMOVE_CONFLICT
from commands.client import CloudClient
from commands.errors import ApiError, ConflictError, NotFoundError, ServerError
from commands.responses import CallResult, error_for, result_from
from tests.commands.test_catalog import VALID
from tests.support.cloud import call

PAGES = Path(__file__).parent / "api_pages"
PAGE_OF = {
    "DeleteAccount": "resourcemanager-DeleteAccount.txt",
    "DeregisterDelegatedAdministrator": "resourcemanager-DeregisterDelegatedAdministrator.txt",
    "RelieveAccountRelation": "bss-RelieveAccountRelation.txt",
    "ModifyAccountRelation": "bss-ModifyAccountRelation.txt",
    "DetachHostAccountsFromUser": "bastionhost-DetachHostAccountsFromUser.txt",
}
CLASS_OF_STATUS: dict[int, type[ApiError]] = {
    400: ApiError,
    404: NotFoundError,
    409: ConflictError,
    500: ServerError,
}
ADMIN = "1699461245510000"


def page_rows(action: str) -> list[str]:
    """The rows of the page's "Error codes" table (each starts with its HTTP status)."""
    text = (PAGES / PAGE_OF[action]).read_text()
    _, section = re.split(r"^Error codes$", text, maxsplit=1, flags=re.MULTILINE)
    return [line.strip() for line in section.splitlines() if re.match(r"\s*[1-5][0-9]{2}", line)]


def row_matches(row: str, code: str, entry: ErrorCode) -> bool:
    # The pages separate cells by " | ", by spaces, or not at all ("409AccountNotRegistered
    # The specified..."): the code must be followed by the page's message either way.
    cell = r"\s*\|?\s*"
    pattern = f"{entry.status}{cell}{re.escape(code)}{cell}{re.escape(entry.message)}"
    return re.match(pattern, row) is not None


def documented() -> list[tuple[str, str, ErrorCode]]:
    return [
        (action, code, entry)
        for action in PAGE_OF
        for code, entry in get_spec(action).errors.items()
    ]


def test_the_five_pages_are_the_requestable_operations() -> None:
    assert set(PAGE_OF) == set(REQUESTABLE_ACTIONS)
    assert sum(len(page_rows(action)) for action in PAGE_OF) == 19


@pytest.mark.parametrize("action", sorted(PAGE_OF))
def test_every_row_of_the_page_is_one_catalog_entry(action: str) -> None:
    table = get_spec(action).errors
    rows = page_rows(action)
    matched = [[c for c, e in table.items() if row_matches(row, c, e)] for row in rows]
    assert all(len(codes) == 1 for codes in matched), list(zip(rows, matched, strict=True))
    assert sorted(codes[0] for codes in matched) == sorted(table)


def test_the_bss_pages_document_no_codes_and_reads_have_no_page() -> None:
    assert page_rows("RelieveAccountRelation") == page_rows("ModifyAccountRelation") == []
    assert all(not spec.errors for a, spec in CATALOG.items() if a not in PAGE_OF)


@pytest.mark.parametrize(
    ("action", "code", "entry"), documented(), ids=[f"{a}:{c}" for a, c, _ in documented()]
)
def test_each_code_is_classed_by_its_page_status_and_has_a_next_step(
    action: str, code: str, entry: ErrorCode
) -> None:
    spec = get_spec(action)
    expected = CLASS_OF_STATUS[entry.status]
    for answered in (entry.status, 400, 404, 503):
        # The page's status decides, whatever status the answer came with.
        body = {"Code": code, "Message": entry.message, "RequestId": "R-1"}
        error = error_for(result_from(answered, body), spec.documented_status(code))
        assert type(error) is expected, answered
    step = spec.next_step(code, VALID[action], entry.message)
    assert step and "\n" not in step and "{" not in step and "<AccountId>" not in step
    requires = {name for name, info in spec.params_model.model_fields.items() if info.is_required()}
    main, otherwise = entry.names()
    assert otherwise <= requires, "the fallback may only name required parameters"
    assert main <= requires or entry.otherwise, "a step naming optional values needs a fallback"


def test_account_not_exist_is_a_conflict_not_a_not_found() -> None:
    result = CallResult(409, "AccountNotExist.DeleteAccount", "gone", "R-2", None)
    spec = get_spec("DeleteAccount")
    assert type(error_for(result, spec.documented_status(result.code))) is ConflictError
    # Undocumented codes keep the generic rules ("*NotExist*" is a not-found).
    assert spec.documented_status("AccountNotExist.Other") is None
    assert type(error_for(result)) is NotFoundError
    # The same code on another operation's page is not documented there.
    assert get_spec("DeregisterDelegatedAdministrator").documented_status(result.code) is None


def test_through_the_sandbox_the_documented_409_is_a_conflict(
    cloud_client: CloudClient,
) -> None:
    call(cloud_client, "DeleteAccount", {"AccountId": "1512996702208737"})
    with pytest.raises(ApiError) as caught:
        call(cloud_client, "DeleteAccount", {"AccountId": "1512996702208737"})
    # Deleting (409) now; the sandbox's deletion takes a second.
    assert type(caught.value) is ConflictError
    assert caught.value.code == "NotSupportedOperation.DeletingAccount"


# ---- RemoveConfilctAccountAsDelegatedAdministator: the command filled in -------------


def test_remove_conflict_names_the_command_with_the_service_from_the_message() -> None:
    spec = get_spec("DeleteAccount")
    message = "The member is a delegated administrator of cloudfw.aliyuncs.com."
    step = spec.next_step(REMOVE_CONFLICT, {"AccountId": ADMIN}, message)
    assert step is not None
    assert (
        "`/offboard DeregisterDelegatedAdministrator AccountId=1699461245510000 "
        "ServicePrincipal=cloudfw.aliyuncs.com`" in step
    )


def test_remove_conflict_without_a_named_service_says_how_to_find_it() -> None:
    spec = get_spec("DeleteAccount")
    page_message = spec.errors[REMOVE_CONFLICT].message
    several = "Registered for cloudfw.aliyuncs.com and config.aliyuncs.com."
    for message in (page_message, several, None):
        step = spec.next_step(REMOVE_CONFLICT, {"AccountId": ADMIN}, message)
        assert step is not None
        assert "ListDelegatedServicesForAccount AccountId=1699461245510000" in step
        assert "DeregisterDelegatedAdministrator AccountId=1699461245510000" in step


@pytest.mark.parametrize(
    "hostile",
    [
        "evil.aliyuncs.com.attacker.example",
        "x.aliyuncs.com`; @channel",
        "<!channel> cloudfw.aliyuncs.com>",
    ],
)
def test_a_hostile_message_cannot_write_the_command(hostile: str) -> None:
    step = get_spec("DeleteAccount").next_step(REMOVE_CONFLICT, {"AccountId": ADMIN}, hostile)
    assert step is not None
    assert "attacker" not in step and "@channel" not in step and "<!" not in step
    assert "ServicePrincipal=evil" not in step


def test_a_hostile_parameter_is_never_put_into_a_command() -> None:
    # Stored parameters are validated, but the fill does not rely on it.
    step = get_spec("DeleteAccount").next_step(
        "AccountNotExist.DeleteAccount", {"AccountId": "1 ServicePrincipal=x`<!here>"}
    )
    assert step is not None and "<!here>" not in step and "`x" not in step


def test_undocumented_codes_have_no_next_step() -> None:
    spec = get_spec("RelieveAccountRelation")
    params = validate_params(spec, VALID["RelieveAccountRelation"]).model_dump()
    assert spec.next_step("RelationNotExist", params) is None
    assert get_spec("DeleteAccount").next_step(None, {"AccountId": ADMIN}) is None

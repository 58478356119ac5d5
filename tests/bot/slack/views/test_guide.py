"""`/offboard help` names the rules of the gate and the variables that set them."""

from __future__ import annotations

import pytest

from bot.approvals.access import Denial
from bot.slack.views import guide
from tests.bot.slack.views.blockkit_checks import assert_cannot_ping, check_message_blocks


def test_help_names_every_variable_and_rule() -> None:
    message = guide.help_text()
    check_message_blocks(message["blocks"])
    text = "\n".join(block["text"]["text"] for block in message["blocks"])
    for name in (
        "OFFBOARD_REQUIRED_APPROVALS",
        "OFFBOARD_REQUIRED_WRITE_APPROVALS",
        "OFFBOARD_REQUESTERS",
        "OFFBOARD_REQUESTER_USERGROUP",
        "offboard-bot call",
    ):
        assert name in text
    assert "never 0" in text and "guests" in text and "requesters and approvers" in text


@pytest.mark.parametrize("denial", list(Denial))
def test_every_denial_has_its_own_words_and_reading_reveals_nothing(denial: Denial) -> None:
    filing = guide.access_refusal(denial)
    reading = guide.access_refusal(denial, reading=True)
    assert filing and reading
    if denial is Denial.UNCONFIRMED:
        assert filing == reading and "try again" in filing
    else:
        assert reading.startswith("Only Offboard's requesters and approvers can")
    assert_cannot_ping(filing)


def test_usage_escapes_what_was_typed() -> None:
    usage = guide.usage("Unknown operation `<!here>`.")
    assert_cannot_ping(usage["blocks"])
    assert "Usage" in usage["text"] + str(usage["blocks"])

"""The JSON logs: a traceback behind every error reference, and no secret in any line.

Secrets are planted where a careless caller or a library would put them: in exception
text, in the source line a traceback quotes, under a key named like a secret. Each test
reads the real rendered output of ``bot.logs.configure`` and looks for the secret in the
raw line, not only in the parsed field it expected.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from sqlalchemy import text

from bot import logs
from bot.devstack.local_stack import REQUESTER
from storage.audit import REDACTED
from storage.records import AuditDraft
from storage.repository import Repository
from tests.support.clock import FakeClock
from tests.support.slack import Slack

SLACK_TOKEN = "xoxb-1111-2222-notarealtoken"
BEARER = "eyJhbGciOi.not-a-real-jwt"


def _restore_after(stream: io.StringIO, *, json_lines: bool) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.configure("INFO", json=json_lines, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.reset_defaults()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    yield from _restore_after(io.StringIO(), json_lines=True)


@pytest.fixture
def console_output() -> Iterator[io.StringIO]:
    yield from _restore_after(io.StringIO(), json_lines=False)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def assert_no_secret(raw: str) -> None:
    assert SLACK_TOKEN not in raw and "notarealtoken" not in raw
    assert BEARER not in raw and "not-a-real-jwt" not in raw


def fail_with_secrets() -> None:
    # The secrets are in this source line too, which the traceback quotes.
    raise RuntimeError(f"chat.postMessage with xoxb-1111-2222-notarealtoken: Bearer {BEARER}")


def test_a_stdlib_logging_exception_carries_its_traceback_without_the_secrets(
    log_output: io.StringIO,
) -> None:
    try:
        fail_with_secrets()
    except RuntimeError:
        logging.getLogger("some.library").exception("upload failed for %s", SLACK_TOKEN)
    raw = log_output.getvalue()
    [line] = lines(log_output)
    assert line["logger"] == "some.library" and line["level"] == "error"
    assert line["event"] == f"upload failed for {REDACTED}"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "in fail_with_secrets" in line["exception"]
    last = line["exception"].splitlines()[-1]
    assert last == f"RuntimeError: chat.postMessage with {REDACTED}: Bearer {REDACTED}"
    assert_no_secret(raw)


def test_a_structlog_exception_carries_its_traceback_without_the_secrets(
    log_output: io.StringIO,
) -> None:
    try:
        fail_with_secrets()
    except RuntimeError:
        structlog.get_logger("bot.test").exception("call_failed", header=f"Bearer {BEARER}")
    raw = log_output.getvalue()
    [line] = lines(log_output)
    assert line["event"] == "call_failed" and line["header"] == f"Bearer {REDACTED}"
    assert "Traceback (most recent call last):" in line["exception"]
    assert "raise RuntimeError(" in line["exception"]  # the quoted source line, masked
    assert_no_secret(raw)


def test_the_console_renderer_masks_the_traceback_too(console_output: io.StringIO) -> None:
    try:
        fail_with_secrets()
    except RuntimeError:
        logging.getLogger("some.library").exception("failed")
    raw = console_output.getvalue()
    assert "Traceback (most recent call last):" in raw and "RuntimeError" in raw
    assert_no_secret(raw)


def test_the_error_reference_shown_in_slack_leads_to_the_traceback_in_the_log(
    log_output: io.StringIO, bot_server: Slack
) -> None:
    # Something no listener expects: the audit table gone from under the running bot.
    view = bot_server.open_modal(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    with bot_server.repo.engine.begin() as connection:
        connection.execute(text("DROP TABLE audit_events"))
    reason = {"reason": "the employee left; HR closed it"}
    assert bot_server.submit(REQUESTER, view, reason).status_code == 200
    dm = bot_server.standin.wait_for_calls("chat.postMessage")[0].params["text"]
    shown = re.search(r"reference `([0-9a-f]{8})`", dm)
    assert shown is not None
    [failed] = [line for line in lines(log_output) if line.get("reference") == shown[1]]
    assert failed["event"] == "listener_failed" and failed["level"] == "error"
    assert failed["exception"].startswith("Traceback (most recent call last):")
    assert failed["error_type"] in failed["exception"]


# One rule for both: each value is stored by the audit log and logged, and both agree.
AGREEMENT = [
    ("note", f"posted with {SLACK_TOKEN}"),
    ("note", "rotated xoxe.xoxp-1-AbCdEf and refresh xoxe-1-ZyXw"),
    ("note", "socket mode xapp-1-A0B1-2345-cafe"),
    ("note", f"Authorization: Bearer {BEARER}"),
    ("note", "ACS3-HMAC-SHA256 Credential=LTAI5t,SignedHeaders=host,Signature=" + "ab" * 32),
    ("note", "AccessKeySecret=s3cr3tvalue&AccessKeyId=LTAI5t"),
    ("note", "Credentials(access_key_id='LTAI5t', access_key_secret='s3cr3tvalue')"),
    ("note", '{"access_key_secret": "s3cr3tvalue"}'),
    ("note", "ALIBABA_CLOUD_SECURITY_TOKEN=CAIS.s3cr3tvalue"),
    ("note", "GET /?Signature=s3cr3tvalue&SignatureNonce=abc"),
    ("note", "AccountId=1699461245510000 stays, as do SignatureNonce=abc and Bearers"),
    ("credential", "anything at all"),
    ("credentials", {"id": "LTAI5t", "secret": "s3cr3tvalue"}),
    ("AccessKeySecret", "s3cr3tvalue"),
    ("access_key_secret", "s3cr3tvalue"),
    ("x-acs-security-token", "CAIS.s3cr3tvalue"),
    ("slack_signing_secret", "s3cr3tvalue"),
    ("Cookie", "session=s3cr3tvalue"),
    ("nested", {"headers": [{"Authorization": "ACS3-HMAC-SHA256 x"}, f"Bearer {BEARER}"]}),
    ("AccountId", "1699461245510000"),
]


def test_the_audit_log_and_the_logs_redact_alike(
    repo: Repository, clock: FakeClock, log_output: io.StringIO
) -> None:
    for key, value in AGREEMENT:
        audited = repo.append_audit(AuditDraft("test.redaction", "U1", {key: value}), clock())
        structlog.get_logger("bot.test").info("redaction", **{key: value})
        logged = lines(log_output)[-1]
        assert logged[key] == audited.data[key], key
    raw = log_output.getvalue()
    assert "s3cr3tvalue" not in raw and "AbCdEf" not in raw and "ZyXw" not in raw
    assert "ab" * 32 not in raw and "A0B1-2345-cafe" not in raw
    assert_no_secret(raw)
    kept = lines(log_output)
    assert kept[10]["note"] == AGREEMENT[10][1]  # nothing secret-shaped: left alone
    assert kept[-1]["AccountId"] == "1699461245510000"

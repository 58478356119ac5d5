"""CloudClient against a real local HTTP server: signing, normalising, errors, retries."""

from __future__ import annotations

import itertools
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alibabacloud_credentials.provider import CLIProfileCredentialsProvider
from pydantic import BaseModel

from commands import signing
from commands.client import CallResult, CloudClient
from commands.credential_chain import OfficialCredentialsProvider
from commands.credentials import Credentials, StaticCredentialsProvider
from commands.endpoints import Product
from commands.errors import (
    ApiError,
    AuthError,
    ConflictError,
    CredentialsError,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    ParameterError,
    ServerError,
    ThrottledError,
)
from commands.responses import error_for, result_from
from tests.commands.recording_server import Drop, RecordingServer, Reply

KEY_ID, SECRET, TOKEN = "LTAI5tTestKey", "test-secret-value", "sts-token-value"
NOW = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)


class AccountParams(BaseModel):
    AccountId: str
    Tags: list[str] | None = None


class BastionParams(BaseModel):
    InstanceId: str
    RegionId: str | None = None


@dataclass(frozen=True)
class TinySpec:
    """The slice of OperationSpec the client uses; the catalog's real specs come later."""

    action: str
    product: Product
    version: str
    destructive: bool = False
    regional: bool = False
    documented: dict[str, int] = field(default_factory=dict)  # code -> the page's status

    def documented_status(self, code: str | None) -> int | None:
        return self.documented.get(code or "")

    def serialize(self, params: Any) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in params.model_dump(exclude_none=True).items():
            if isinstance(value, list):
                out.update({f"{name}.{i}": str(v) for i, v in enumerate(value, start=1)})
            else:
                out[name] = str(value)
        return out

    def changes_cloud(self, params: BaseModel) -> bool:
        return self.destructive


GET_ACCOUNT = TinySpec("GetAccount", Product.RESOURCE_MANAGER, "2020-03-31")
DELETE_ACCOUNT = TinySpec("DeleteAccount", Product.RESOURCE_MANAGER, "2020-03-31", True)
RELIEVE = TinySpec("RelieveAccountRelation", Product.BSS, "2017-12-14", True)
DETACH = TinySpec("DetachHostAccountsFromUser", Product.BASTIONHOST, "2019-12-09", True, True)
PARAMS = AccountParams(AccountId="1699461245510000", Tags=["a b", "c*d~"])


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    srv = RecordingServer().start()
    yield srv
    srv.stop()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


_open: list[CloudClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def make_client(
    base_url: str | None, *, token: str | None = None, **kwargs: Any
) -> tuple[CloudClient, Sleeps]:
    """A client with a fixed clock, counted nonces and recorded sleeps (closed after the test)."""
    counter = itertools.count()
    sleeps = Sleeps()
    client = CloudClient(
        StaticCredentialsProvider(Credentials(KEY_ID, SECRET, token)),
        endpoint_override=base_url,
        clock=lambda: NOW,
        nonce=lambda: f"nonce-{next(counter)}",
        sleep=sleeps,
        **kwargs,
    )
    _open.append(client)
    return client, sleeps


def verify(recorded: Any, secret: str = SECRET) -> bool:
    parsed = signing.parse_authorization(recorded.headers["authorization"])
    expected = signing.expected_signature(
        recorded.method,
        recorded.path,
        recorded.query,
        recorded.headers,
        parsed.signed_headers,
        recorded.body,
        secret,
    )
    return expected == parsed.signature and set(signing.REQUIRED_SIGNED_HEADERS) <= set(
        parsed.signed_headers
    )


def test_call_sends_a_signed_post_with_the_parameters_in_the_query(
    server: RecordingServer,
) -> None:
    server.default = Reply(200, {"RequestId": "R-1", "Account": {"AccountId": "1"}})
    client, _ = make_client(server.url)
    result = client.call(GET_ACCOUNT, PARAMS)
    assert result == CallResult(200, None, None, "R-1", None, result.body)
    assert result.ok and result.body["Account"] == {"AccountId": "1"}
    [sent] = server.requests
    assert sent.method == "POST" and sent.path == "/" and sent.body == b""
    assert sent.query == [
        ("AccountId", "1699461245510000"),
        ("Tags.1", "a b"),
        ("Tags.2", "c*d~"),
    ]
    assert sent.raw_query == "AccountId=1699461245510000&Tags.1=a%20b&Tags.2=c%2Ad~"
    assert sent.headers["x-acs-action"] == "GetAccount"
    assert sent.headers["x-acs-version"] == "2020-03-31"
    assert sent.headers["x-acs-date"] == "2026-11-23T09:00:00Z"
    assert sent.headers["x-acs-signature-nonce"] == "nonce-0"
    assert "x-acs-security-token" not in sent.headers
    assert verify(sent)
    assert not verify(sent, secret="another-secret")


def test_sts_token_is_sent_and_signed(server: RecordingServer) -> None:
    client, _ = make_client(server.url, token=TOKEN)
    client.call(GET_ACCOUNT, PARAMS)
    [sent] = server.requests
    assert sent.headers["x-acs-security-token"] == TOKEN
    assert (
        "x-acs-security-token"
        in signing.parse_authorization(sent.headers["authorization"]).signed_headers
    )
    assert verify(sent)


def test_build_request_uses_the_real_endpoints_without_an_override() -> None:
    client, _ = make_client(None)
    rm = client.build_request(GET_ACCOUNT, PARAMS)
    assert str(rm.url).startswith("https://resourcemanager.aliyuncs.com/?AccountId=")
    assert rm.headers["host"] == "resourcemanager.aliyuncs.com"
    bss = client.build_request(RELIEVE, PARAMS)
    assert bss.url.host == "business.aliyuncs.com"
    intl, _ = make_client(None, bss_site="international")
    assert intl.build_request(RELIEVE, PARAMS).url.host == "business.ap-southeast-1.aliyuncs.com"
    bastion = client.build_request(DETACH, BastionParams(InstanceId="b-1", RegionId="eu-west-1"))
    assert bastion.url.host == "bastionhost.eu-west-1.aliyuncs.com"
    with pytest.raises(ParameterError) as info:
        client.build_request(DETACH, BastionParams(InstanceId="b-1"))
    assert list(info.value.field_errors) == ["RegionId"]


@pytest.mark.parametrize(
    "kwargs",
    [{"endpoint_override": "127.0.0.1:9000"}, {"bss_site": "mars"}, {"max_attempts": 0}],
)
def test_bad_configuration_fails_at_construction(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CloudClient(StaticCredentialsProvider.of(KEY_ID, SECRET), **kwargs)


def test_describe_masks_the_signature_and_token_but_shows_what_is_signed() -> None:
    client, _ = make_client(None, token=TOKEN)
    request = client.build_request(DELETE_ACCOUNT, PARAMS)
    signature_value = signing.parse_authorization(request.headers["Authorization"]).signature
    text = client.describe(request)
    assert "POST https://resourcemanager.aliyuncs.com/" in text
    assert "  AccountId = 1699461245510000" in text
    assert "  Tags.1 = a b" in text
    assert "x-acs-action: DeleteAccount" in text
    assert f"Credential={KEY_ID}," in text and "Signature=***" in text
    assert "x-acs-security-token: ***" in text
    for secret in (signature_value, TOKEN, SECRET):
        assert secret not in text


def test_bss_success_false_at_http_200_is_an_error(server: RecordingServer) -> None:
    body = {"Code": "InvalidParameter", "Message": "bad", "RequestId": "R-2", "Success": False}
    server.default = Reply(200, body)
    client, sleeps = make_client(server.url)
    with pytest.raises(ApiError) as info:
        client.call(RELIEVE, PARAMS)
    assert type(info.value) is ApiError
    assert str(info.value) == "InvalidParameter: bad (HTTP 200, RequestId R-2)"
    assert len(server.requests) == 1 and sleeps == []


def test_bss_success_true_is_a_result(server: RecordingServer) -> None:
    body = {"Code": "200", "Message": "ok", "RequestId": "R-3", "Success": True}
    server.default = Reply(200, body)
    client, _ = make_client(server.url)
    result = client.call(RELIEVE, PARAMS)
    assert result.ok and result.code == "200" and result.request_id == "R-3"


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "SignatureDoesNotMatch", AuthError),
        (404, "InvalidAccessKeyId.NotFound", AuthError),
        (403, "Forbidden.RAM", AuthError),
        (400, "InvalidSecurityToken.Expired", AuthError),
        (400, "Throttling.User", ThrottledError),
        (429, "TooMany", ThrottledError),
        (404, "EntityNotExists.Account", NotFoundError),
        # Undocumented (no page given): the generic rule; the page's 409 wins in
        # tests/commands/test_error_codes.py and below.
        (409, "AccountNotExist.DeleteAccount", NotFoundError),
        (400, "Instance.NotFound", NotFoundError),
        (409, "RemoveConfilctAccountAsDelegatedAdministator", ConflictError),
        (503, "ServiceUnavailable", ServerError),
        (500, None, ServerError),
        (400, "InvalidParameter", ApiError),
    ],
)
def test_error_classes(status: int, code: str | None, expected: type[ApiError]) -> None:
    body = {"Code": code, "Message": "m", "RequestId": "R"} if code else {}
    error = error_for(result_from(status, body))
    assert type(error) is expected


def test_the_pages_status_decides_for_a_documented_code(server: RecordingServer) -> None:
    server.default = Reply(
        409, {"Code": "AccountNotExist.DeleteAccount", "Message": "gone", "RequestId": "R-7"}
    )
    client, _ = make_client(server.url)
    documented = TinySpec(
        "DeleteAccount",
        Product.RESOURCE_MANAGER,
        "2020-03-31",
        True,
        documented={"AccountNotExist.DeleteAccount": 409},
    )
    with pytest.raises(ApiError) as info:
        client.call(documented, PARAMS)
    assert type(info.value) is ConflictError
    with pytest.raises(ApiError) as generic:
        client.call(DELETE_ACCOUNT, PARAMS)
    assert type(generic.value) is NotFoundError


def test_error_carries_code_message_request_id_and_recommend(server: RecordingServer) -> None:
    server.default = Reply(
        409,
        {
            "Code": "RemoveConfilctAccountAsDelegatedAdministator",
            "Message": "deregister first",
            "RequestId": "R-9",
            "Recommend": "https://api.aliyun.com/troubleshoot?q=x",
        },
    )
    client, _ = make_client(server.url)
    with pytest.raises(ConflictError) as info:
        client.call(DELETE_ACCOUNT, PARAMS)
    error = info.value
    assert (error.code, error.message, error.request_id) == (
        "RemoveConfilctAccountAsDelegatedAdministator",
        "deregister first",
        "R-9",
    )
    assert error.recommend == "https://api.aliyun.com/troubleshoot?q=x"
    assert error.http_status == 409 and not error.result.ok


def test_read_only_calls_retry_throttling_and_5xx_with_fresh_nonces(
    server: RecordingServer,
) -> None:
    server.script.extend(
        [Reply(400, {"Code": "Throttling.User"}), Reply(503, {"Code": "ServiceUnavailable"})]
    )
    client, sleeps = make_client(server.url, backoff=0.5)
    result = client.call(GET_ACCOUNT, PARAMS)
    assert result.ok
    nonces = [r.headers["x-acs-signature-nonce"] for r in server.requests]
    assert nonces == ["nonce-0", "nonce-1", "nonce-2"]
    assert all(verify(r) for r in server.requests)
    assert len(sleeps) == 2 and all(0 <= s <= 10 for s in sleeps)


def test_read_only_retries_are_bounded(server: RecordingServer) -> None:
    server.default = Reply(500, {"Code": "InternalError"})
    client, sleeps = make_client(server.url, max_attempts=3)
    with pytest.raises(ServerError):
        client.call(GET_ACCOUNT, PARAMS)
    assert len(server.requests) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("reply", [Reply(500, {"Code": "InternalError"}), Reply(429, {})])
def test_destructive_calls_never_retry_an_answer(server: RecordingServer, reply: Reply) -> None:
    server.default = reply
    client, sleeps = make_client(server.url)
    with pytest.raises((ServerError, ThrottledError)):
        client.call(DELETE_ACCOUNT, PARAMS)
    assert len(server.requests) == 1 and sleeps == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("spec", [GET_ACCOUNT, DELETE_ACCOUNT])
def test_connection_refused_is_a_retried_network_error(spec: TinySpec) -> None:
    client, sleeps = make_client(f"http://127.0.0.1:{closed_port()}", max_attempts=2)
    with pytest.raises(NetworkError) as info:
        client.call(spec, PARAMS)
    assert len(sleeps) == 1
    assert SECRET not in str(info.value)


def test_destructive_call_goes_through_after_a_connect_failure(server: RecordingServer) -> None:
    real = httpx.HTTPTransport()
    failures = iter([httpx.ConnectError("refused")])

    def flaky(request: httpx.Request) -> httpx.Response:
        for error in failures:
            raise error
        return real.handle_request(request)

    client, sleeps = make_client(server.url, transport=httpx.MockTransport(flaky))
    with real:
        assert client.call(DELETE_ACCOUNT, PARAMS).ok
    assert len(server.requests) == 1 and len(sleeps) == 1


def test_a_read_timeout_is_an_unknown_outcome_and_never_resent(server: RecordingServer) -> None:
    server.script.append(Reply(200, {"RequestId": "late"}, delay=1.0))
    client, sleeps = make_client(server.url, timeout=0.2)
    with pytest.raises(OutcomeUnknownError):
        client.call(GET_ACCOUNT, PARAMS)
    assert len(server.requests) == 1 and sleeps == []


def test_a_dropped_connection_after_sending_is_an_unknown_outcome(
    server: RecordingServer,
) -> None:
    server.script.append(Drop())
    client, sleeps = make_client(server.url)
    with pytest.raises(OutcomeUnknownError):
        client.call(DELETE_ACCOUNT, PARAMS)
    assert len(server.requests) == 1 and sleeps == []


def test_http_200_without_json_is_an_unknown_outcome(server: RecordingServer) -> None:
    server.default = Reply(200, b"<html>proxy</html>")
    client, _ = make_client(server.url)
    with pytest.raises(OutcomeUnknownError):
        client.call(DELETE_ACCOUNT, PARAMS)


def test_a_5xx_without_json_is_a_server_error(server: RecordingServer) -> None:
    server.default = Reply(502, b"<html>bad gateway</html>")
    client, _ = make_client(server.url, max_attempts=1)
    with pytest.raises(ServerError) as info:
        client.call(GET_ACCOUNT, PARAMS)
    assert info.value.http_status == 502


def test_missing_credentials_stop_before_anything_is_sent(
    server: RecordingServer, tmp_path: Path
) -> None:
    nowhere = OfficialCredentialsProvider(
        lambda: CLIProfileCredentialsProvider(profile_file=str(tmp_path / "config.json")),
        source="the aliyun CLI profile",
    )
    client = CloudClient(nowhere, endpoint_override=server.url)
    _open.append(client)
    with pytest.raises(CredentialsError, match="the aliyun CLI profile: no such file"):
        client.call(GET_ACCOUNT, PARAMS)
    assert server.requests == []


def test_no_secret_in_logs_or_errors(
    server: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(400, {"Code": "SignatureDoesNotMatch", "Message": "no"})
    client, _ = make_client(server.url, token=TOKEN)
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError) as info:
        client.call(GET_ACCOUNT, PARAMS)
    signature_value = signing.parse_authorization(
        server.requests[0].headers["authorization"]
    ).signature
    for secret in (SECRET, TOKEN, signature_value):
        assert secret not in caplog.text
        assert secret not in str(info.value)
        assert secret not in repr(client)


def test_an_undecodable_answer_is_an_unknown_outcome(server: RecordingServer) -> None:
    server.default = Reply(200, b"not gzip at all", headers=(("content-encoding", "gzip"),))
    client, sleeps = make_client(server.url)
    with pytest.raises(OutcomeUnknownError):
        client.call(GET_ACCOUNT, PARAMS)
    assert len(server.requests) == 1 and sleeps == []


@pytest.mark.parametrize(("header", "at_least"), [("3000", 3.0), ("600000", 30.0), ("soon", 0.0)])
def test_throttled_reads_wait_at_least_what_the_cloud_asks(
    server: RecordingServer, header: str, at_least: float
) -> None:
    throttled = Reply(400, {"Code": "Throttling.User"}, headers=(("x-acs-retry-after", header),))
    server.script.append(throttled)
    client, sleeps = make_client(server.url, backoff=0.01)
    assert client.call(GET_ACCOUNT, PARAMS).ok
    [waited] = sleeps
    assert at_least <= waited <= max(at_least, 0.2)

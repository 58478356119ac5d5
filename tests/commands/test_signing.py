"""ACS3-HMAC-SHA256: the published cases step by step, then each step's rules."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, unquote

import httpx
import pytest
from alibabacloud_openapi_util.client import Client as OfficialUtil
from hypothesis import given, settings
from hypothesis import strategies as st

from commands import signing
from commands.credentials import Credentials

CASES = Path(__file__).parent / "signing_cases"
KEY_ID, SECRET = "YourAccessKeyId", "YourAccessKeySecret"


@dataclass(frozen=True)
class RawRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes


def parse_req(text: str) -> RawRequest:
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, target, _version = request_line.split(" ")
    path, _, raw_query = target.partition("?")
    query = []
    for pair in filter(None, raw_query.split("&")):
        name, _, value = pair.partition("=")
        query.append((unquote(name), unquote(value)))
    headers = dict(line.split(":", 1) for line in header_lines)
    return RawRequest(method, path, query, raw_query, headers, body.encode("utf-8"))


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def load(name: str, suffix: str) -> str:
    return (CASES / name / f"{name}.{suffix}").read_text(encoding="utf-8")


def test_the_documents_worked_example_is_among_the_cases() -> None:
    # The V3 document's "Fixed parameter values" example is the first vector we keep to.
    assert "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0" in load(
        "doc-fixed-example", "authz"
    )
    assert "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259" in load(
        "doc-fixed-example", "sts"
    )


@pytest.mark.parametrize("name", case_names())
def test_case_step_by_step(name: str) -> None:
    req = parse_req(load(name, "req"))
    block, signed = signing.canonical_headers(req.headers)
    creq = signing.canonical_request(
        req.method,
        req.path,
        signing.canonical_query(req.query),
        block,
        signed,
        signing.hashed_payload(req.body),
    )
    sts = signing.string_to_sign(creq)
    authz = signing.authorization(KEY_ID, signed, signing.signature(SECRET, sts))
    steps = [
        ("canonical query", signing.canonical_query(req.query), req.raw_query),
        ("canonical request", creq, load(name, "creq")),
        ("string to sign", sts, load(name, "sts")),
        ("authorization", authz, load(name, "authz")),
    ]
    for step, got, expected in steps:
        if got != expected:
            pytest.fail(
                f"{name}: first differing step is {step}\n--- expected\n{expected}\n--- got\n{got}"
            )


@pytest.mark.parametrize("name", case_names())
def test_auth_flow_signs_each_case_like_the_case(name: str) -> None:
    req = parse_req(load(name, "req"))
    date = datetime.strptime(req.headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    auth = signing.AcsV3Auth(
        Credentials(KEY_ID, SECRET, req.headers.get("x-acs-security-token")),
        action=req.headers["x-acs-action"],
        version=req.headers["x-acs-version"],
        clock=lambda: date,
        nonce=lambda: req.headers["x-acs-signature-nonce"],
    )
    extra = {"content-type": req.headers["content-type"]} if "content-type" in req.headers else {}
    url = f"https://{req.headers['host']}{req.path}" + (
        f"?{req.raw_query}" if req.raw_query else ""
    )
    request = httpx.Request(req.method, url, headers=extra, content=req.body)
    flow = auth.sync_auth_flow(request)
    signed = next(flow)
    assert signed.headers["Authorization"] == load(name, "authz")
    for header, value in req.headers.items():
        assert signed.headers[header] == value


@pytest.mark.parametrize("name", case_names())
def test_server_side_recomputes_each_case(name: str) -> None:
    req = parse_req(load(name, "req"))
    parsed = signing.parse_authorization(load(name, "authz"))
    got = signing.expected_signature(
        req.method, req.path, req.query, req.headers, parsed.signed_headers, req.body, SECRET
    )
    assert got == parsed.signature


def test_server_side_refuses_a_changed_body_or_a_wrong_secret() -> None:
    name = "official-form-body-sts"
    req = parse_req(load(name, "req"))
    parsed = signing.parse_authorization(load(name, "authz"))
    args = (req.method, req.path, req.query, req.headers, parsed.signed_headers)
    assert signing.expected_signature(*args, req.body + b"&x=1", SECRET) != parsed.signature
    assert signing.expected_signature(*args, req.body, SECRET + "x") != parsed.signature
    assert signing.expected_signature(*args, req.body, SECRET) == parsed.signature


def test_canonical_query_encoding_rules() -> None:
    # "Space characters -> %20, Asterisks (*) -> %2A, %7E -> Tildes (~)".
    assert signing.canonical_query({"k": "a b*c~d"}) == "k=a%20b%2Ac~d"
    assert signing.canonical_query({"k": "a+b/c=d&e"}) == "k=a%2Bb%2Fc%3Dd%26e"
    assert signing.canonical_query({"k": "é"}) == "k=%C3%A9"
    assert signing.canonical_query({"Empty": ""}) == "Empty="
    assert signing.canonical_query({}) == ""


def test_canonical_query_sorts_by_encoded_name_from_pairs_or_mapping() -> None:
    pairs = [("b", "2"), ("a", "1"), ("A", "0"), ("a b", "3")]
    assert signing.canonical_query(pairs) == "A=0&a=1&a%20b=3&b=2"
    assert signing.canonical_query(dict(pairs)) == signing.canonical_query(pairs)


def test_canonical_headers_lowercases_trims_sorts_and_keeps_only_signed_kinds() -> None:
    block, signed = signing.canonical_headers(
        {
            "X-Acs-Version": " 2020-03-31 ",
            "Host": "resourcemanager.aliyuncs.com",
            "User-Agent": "offboard",
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "x-acs-action": "GetAccount",
        }
    )
    assert signed == "content-type;host;x-acs-action;x-acs-version"
    assert block == (
        "content-type:application/x-www-form-urlencoded\n"
        "host:resourcemanager.aliyuncs.com\n"
        "x-acs-action:GetAccount\n"
        "x-acs-version:2020-03-31\n"
    )


def test_hashed_payload_of_nothing_is_the_documented_constant() -> None:
    expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert signing.hashed_payload(b"") == expected


def test_parse_authorization_round_trips_and_hides_the_signature() -> None:
    value = signing.authorization("LTAI5tKey", "host;x-acs-date", "ab" * 32)
    parsed = signing.parse_authorization(value)
    assert parsed == signing.ParsedAuthorization("LTAI5tKey", ("host", "x-acs-date"), "ab" * 32)
    assert "ab" * 32 not in repr(parsed)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host,Signature=zz",
        "ACS3-HMAC-SM3 Credential=k,SignedHeaders=host,Signature=" + "a" * 64,
        "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=x-acs-date;host,Signature=" + "a" * 64,
        "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host;;x,Signature=" + "a" * 64,
        "ACS3-HMAC-SHA256 Credential=k,Signature=" + "a" * 64,
    ],
)
def test_parse_authorization_refuses_malformed_values_without_echoing_them(value: str) -> None:
    with pytest.raises(ValueError) as info:
        signing.parse_authorization(value)
    assert "a" * 64 not in str(info.value)


def test_format_date_is_utc_iso8601_and_refuses_naive_clocks() -> None:
    moment = datetime(2023, 10, 26, 10, 22, 32, tzinfo=UTC)
    assert signing.format_date(moment) == "2023-10-26T10:22:32Z"
    with pytest.raises(ValueError):
        signing.format_date(datetime(2023, 10, 26, 10, 22, 32))


def test_new_nonce_is_fresh_hex() -> None:
    nonces = {signing.new_nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) == 32 and int(n, 16) >= 0 for n in nonces)


def test_debug_log_shows_the_steps_but_no_secret_or_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth = signing.AcsV3Auth(
        Credentials(KEY_ID, "super-secret-value", "sts-token-value"),
        action="GetAccount",
        version="2020-03-31",
        clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        nonce=lambda: "n1",
    )
    request = httpx.Request("POST", "https://resourcemanager.aliyuncs.com/?AccountId=1")
    with caplog.at_level(logging.DEBUG, logger="commands.signing"):
        auth.sign(request)
    text = caplog.text
    assert "x-acs-action:GetAccount" in text
    assert "ACS3-HMAC-SHA256\n" in text
    assert "super-secret-value" not in text
    assert "sts-token-value" not in text
    signature_value = signing.parse_authorization(request.headers["Authorization"]).signature
    assert signature_value not in text
    assert "super-secret-value" not in repr(auth)


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(deadline=None, max_examples=60)
@given(
    params=st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9.]{0,8}", fullmatch=True), _text),
    body=st.binary(max_size=64),
)
def test_client_and_server_agree_for_any_parameters(params: dict[str, str], body: bytes) -> None:
    """What AcsV3Auth signs, expected_signature recomputes from the wire form."""
    auth = signing.AcsV3Auth(
        Credentials(KEY_ID, SECRET),
        action="GetAccount",
        version="2020-03-31",
        clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        nonce=lambda: "n",
    )
    query = signing.canonical_query(params)
    url = "http://127.0.0.1:8080/" + (f"?{query}" if query else "")
    request = httpx.Request("POST", url, content=body)
    auth.sign(request)
    received = httpx.URL(str(request.url))  # as a server would parse the request target
    parsed = signing.parse_authorization(request.headers["Authorization"])
    recomputed = signing.expected_signature(
        "POST",
        received.path,
        received.params.multi_items(),
        dict(request.headers),
        parsed.signed_headers,
        body,
        SECRET,
    )
    assert recomputed == parsed.signature
    tampered = {**params, "Injected": "1"}
    assert (
        signing.expected_signature(
            "POST", "/", tampered, dict(request.headers), parsed.signed_headers, body, SECRET
        )
        != parsed.signature
    )


@settings(deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_percent_encode_is_rfc3986_with_tilde_kept(value: str) -> None:
    # The fast path for unreserved text must agree with the general encoder.
    assert signing.percent_encode(value) == quote(value, safe="~", encoding="utf-8")
    assert unquote(signing.percent_encode(value)) == value


# --- the gaps a mutation run found (docs/mutation.md) ----------------------------------


@pytest.fixture
def host_in_tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A host whose local time zone is not UTC (a POSIX TZ string: no zone database)."""
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def auth_for(credentials: Credentials) -> signing.AcsV3Auth:
    return signing.AcsV3Auth(
        credentials,
        action="GetAccount",
        version="2020-03-31",
        clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        nonce=lambda: "n1",
    )


def official_authorization(request: httpx.Request, pathname: str, secret: str) -> str:
    """What the official alibabacloud_openapi_util signs for the same request and headers."""
    names = signing.parse_authorization(request.headers["Authorization"]).signed_headers
    signed = {name: request.headers[name] for name in names}
    return str(
        OfficialUtil.get_authorization(
            SimpleNamespace(
                pathname=pathname,
                query=dict(request.url.params.multi_items()),
                headers=signed,
                method=request.method,
            ),
            signing.ALGORITHM,
            request.headers["x-acs-content-sha256"],
            KEY_ID,
            secret,
        )
    )


@pytest.mark.parametrize(
    ("url", "pathname"),
    [
        ("https://h.example/", "/"),
        ("https://h.example/accounts/a%20b/v1", "/accounts/a%20b/v1"),
        ("https://h.example/roa/x?Name=a?b&Id=1", "/roa/x"),  # a "?" inside the query
    ],
)
def test_a_path_other_than_the_root_is_signed_as_the_official_sdk_signs_it(
    url: str, pathname: str
) -> None:
    request = httpx.Request("POST", url)
    auth_for(Credentials(KEY_ID, SECRET)).sign(request)
    assert request.headers["Authorization"] == official_authorization(request, pathname, SECRET)
    parsed = signing.parse_authorization(request.headers["Authorization"])
    args = (request.url.params.multi_items(), request.headers, parsed.signed_headers, b"", SECRET)
    assert signing.expected_signature("POST", pathname, *args) == parsed.signature
    if pathname != "/":  # the server must not accept it for another path
        assert signing.expected_signature("POST", "/", *args) != parsed.signature


def test_canonical_request_puts_the_path_on_its_second_line() -> None:
    creq = signing.canonical_request("post", "/a/b", "x=1", "host:h\n", "host", "e3b0")
    assert creq == "POST\n/a/b\nx=1\nhost:h\n\nhost\ne3b0"
    assert signing.canonical_request("POST", "", "", "", "", "e3b0").split("\n")[1] == "/"


def test_a_signed_header_missing_from_the_request_counts_as_empty() -> None:
    request = httpx.Request("POST", "https://h.example/?AccountId=1")
    auth_for(Credentials(KEY_ID, SECRET)).sign(request)
    parsed = signing.parse_authorization(request.headers["Authorization"])
    headers = {k: v for k, v in request.headers.items() if k != "x-acs-date"}
    query = request.url.params.multi_items()
    got = signing.expected_signature(
        "POST", "/", query, headers, parsed.signed_headers, b"", SECRET
    )
    # Recomputed with the header present but empty: the same thing.
    emptied = signing.expected_signature(
        "POST", "/", query, {**headers, "x-acs-date": ""}, parsed.signed_headers, b"", SECRET
    )
    assert got == emptied != parsed.signature


def test_the_signed_request_carries_the_headers_as_the_official_sdk_spells_them() -> None:
    for token, extra in ((None, set()), ("sts-token", {"x-acs-security-token"})):
        request = httpx.Request("POST", "https://h.example/?AccountId=1")
        auth_for(Credentials(KEY_ID, SECRET, token)).sign(request)
        names = {name.decode() for name, _ in request.headers.raw} - {"Content-Length"}
        assert names == {
            "host",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
            "Authorization",
            *extra,
        }
        assert request.headers["host"] == "h.example"


def test_debug_log_without_an_sts_token(caplog: pytest.LogCaptureFixture) -> None:
    request = httpx.Request("POST", "https://h.example/?AccountId=1")
    with caplog.at_level(logging.DEBUG, logger="commands.signing"):
        auth_for(Credentials(KEY_ID, "super-secret-value")).sign(request)
    [record] = caplog.records
    message = record.getMessage()
    assert message.startswith("ACS3 canonical request:\nPOST\n/\nAccountId=1\n")
    assert "\nstring to sign:\nACS3-HMAC-SHA256\n" in message
    assert "***" not in message and "super-secret-value" not in message


def test_debug_log_masks_the_sts_token_where_it_stood(caplog: pytest.LogCaptureFixture) -> None:
    request = httpx.Request("POST", "https://h.example/?AccountId=1")
    with caplog.at_level(logging.DEBUG, logger="commands.signing"):
        auth_for(Credentials(KEY_ID, SECRET, "sts-token-value")).sign(request)
    assert "\nx-acs-security-token:***\n" in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Basic abc", "Authorization is not a well-formed ACS3-HMAC-SHA256 value"),
        (
            f"ACS3-HMAC-SHA256 Credential=k,SignedHeaders=x-acs-date;host,Signature={'a' * 64}",
            "SignedHeaders must be distinct lower-case names in sorted order",
        ),
    ],
)
def test_a_malformed_authorization_is_refused_in_words(value: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        signing.parse_authorization(value)
    assert str(refused.value) == message


def test_x_acs_date_is_utc_whatever_the_hosts_zone(host_in_tokyo: None) -> None:
    tokyo = timezone(timedelta(hours=9))
    assert signing.format_date(datetime(2023, 10, 26, 19, 22, 32, tzinfo=tokyo)) == (
        "2023-10-26T10:22:32Z"
    )
    with pytest.raises(ValueError) as refused:
        signing.format_date(datetime(2023, 10, 26, 10, 22, 32))
    assert str(refused.value) == "the signing clock must return an aware datetime"


def test_the_real_clock_is_aware_utc() -> None:
    now = signing.utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)

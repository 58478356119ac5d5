"""ACS3-HMAC-SHA256: the published cases step by step, then each step's rules."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest
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

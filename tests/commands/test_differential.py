"""Differential tests: every catalog operation, through the official SDK and through us.

Both clients call the same local recording server with the same parameter values (the
examples of the API pages, as the catalog carries them, plus richer values where a
list or free text is allowed). The recorded requests must carry the same parameters
serialised the same way, and our Authorization must equal what the official
``alibabacloud_openapi_util`` computes for our request. Our server-side verifier must
also accept the official SDK's own signature.
"""

from __future__ import annotations

import importlib
import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from alibabacloud_openapi_util.client import Client as OfficialUtil
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from commands import signing
from commands.catalog import CATALOG, OperationSpec, prepare_params, validate_params
from commands.catalog.base import refusals_of
from commands.client import CloudClient
from commands.credentials import Credentials, StaticCredentialsProvider
from commands.endpoints import Product
from tests.commands.recording_server import Recorded, RecordingServer, Reply

KEY_ID, SECRET, TOKEN = "LTAI5tDifferential", "differential-secret", "sts-differential"

SDK_PACKAGES = {
    Product.RESOURCE_MANAGER: "alibabacloud_resourcemanager20200331",
    Product.BSS: "alibabacloud_bssopenapi20171214",
    Product.BASTIONHOST: "alibabacloud_yundun_bastionhost20191209",
    Product.STS: "alibabacloud_sts20150401",
}

# Values beyond the single example of each field: several list items, free text with
# spaces and non-ASCII, so the serialisations have something to disagree about.
RICHER: dict[str, dict[str, Any]] = {
    "DeleteAccount": {"AbandonableCheckId": ["NON_SP_cs", "NON_SP_ecs"]},
    "ModifyAccountRelation": {
        "RelationOperation": "DELETE",
        "ChildNick": "Display name of the member 成员 ~*",
        "PermissionCodes": ["SYNCHRONIZE_FINANCE_IDENTITY", "CHECK_FINANCE_INFO"],
    },
    "QueryRelationList": {"StatusList": ["RELATED", "CONFIRMING"]},
    "GetAccount": {"IncludeTags": "true"},
    "ListHostsForUser": {"HostName": "web 成员 ~*", "OSType": "Windows", "Mode": "Unauthorized"},
    "AttachHostAccountsToUser": {
        "Hosts": json.dumps([{"HostId": "1"}, {"HostId": "2", "HostAccountIds": list("123456789")}])
    },
}


def example_input(spec: OperationSpec) -> dict[str, Any]:
    """Every parameter people may give set to its API page example (or a richer value).

    BssOpenApi's RequestId is Offboard's own (set by ``prepare_params``) and RoleCodes
    is refused ("Modifying roles is not supported"): neither is input.
    """
    raw: dict[str, Any] = {}
    refused = refusals_of(spec.params_model)
    for name, info in spec.params_model.model_fields.items():
        if info.examples and name not in refused:
            raw[name] = info.examples[0]
    raw.update(RICHER.get(spec.action, {}))
    return raw


def snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def call_official(spec: OperationSpec, params: Any, server: RecordingServer) -> None:
    package = SDK_PACKAGES[spec.product]
    client_module = importlib.import_module(f"{package}.client")
    models = importlib.import_module(f"{package}.models")
    config = Config(
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        security_token=TOKEN,
        endpoint=f"127.0.0.1:{server.port}",
        protocol="http",
        region_id=getattr(params, "RegionId", None) or "cn-hangzhou",
    )
    sdk = client_module.Client(config)
    runtime = RuntimeOptions(autoretry=False, max_attempts=0)
    method = getattr(sdk, f"{snake(spec.action)}_with_options")
    request_model = getattr(models, f"{spec.action}Request", None)
    if request_model is None:  # an operation without parameters takes no request
        method(runtime)
        return
    method(request_model().from_map(params.model_dump(mode="json", exclude_none=True)), runtime)


@pytest.fixture(scope="module")
def server() -> Iterator[RecordingServer]:
    srv = RecordingServer(Reply(200, {"RequestId": "R-DIFF", "Code": "200", "Success": True}))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def ours(server: RecordingServer) -> Iterator[CloudClient]:
    counter = itertools.count()
    client = CloudClient(
        StaticCredentialsProvider(Credentials(KEY_ID, SECRET, TOKEN)),
        endpoint_override=server.url,
        clock=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        nonce=lambda: f"differential-{next(counter)}",
        max_attempts=1,
    )
    yield client
    client.close()


def record(server: RecordingServer, call: Any) -> Recorded:
    before = len(server.requests)
    call()
    assert len(server.requests) == before + 1, "exactly one request per call"
    return server.requests[-1]


def signed_part(recorded: Recorded) -> tuple[signing.ParsedAuthorization, dict[str, str]]:
    parsed = signing.parse_authorization(recorded.headers["authorization"])
    return parsed, {name: recorded.headers[name] for name in parsed.signed_headers}


def test_there_is_something_to_compare() -> None:
    assert {spec.product for spec in CATALOG.values()} == set(Product)
    assert len(CATALOG) >= 5


@pytest.mark.parametrize("action", sorted(CATALOG))
def test_same_request_as_the_official_sdk(
    action: str, server: RecordingServer, ours: CloudClient
) -> None:
    spec = CATALOG[action]
    params = prepare_params(
        spec, validate_params(spec, example_input(spec)), offboard_request_id=f"diff-{action}"
    )
    theirs_req = record(server, lambda: call_official(spec, params, server))
    ours_req = record(server, lambda: ours.call(spec, params))

    # Same parameters, same serialisation, same place (query, empty body, POST /).
    assert sorted(ours_req.query) == sorted(theirs_req.query)
    assert (ours_req.method, ours_req.path, ours_req.body) == (
        theirs_req.method,
        theirs_req.path,
        theirs_req.body,
    )
    for header in ("x-acs-action", "x-acs-version", "x-acs-security-token", "host"):
        assert ours_req.headers[header] == theirs_req.headers[header], header

    # Our signature is the one the official util computes for our request.
    parsed, signed_headers = signed_part(ours_req)
    assert {*signing.REQUIRED_SIGNED_HEADERS, "x-acs-security-token"} <= set(parsed.signed_headers)
    official = OfficialUtil.get_authorization(
        SimpleNamespace(
            pathname=ours_req.path,
            query=dict(ours_req.query),
            headers=signed_headers,
            method=ours_req.method,
        ),
        "ACS3-HMAC-SHA256",
        ours_req.headers["x-acs-content-sha256"],
        KEY_ID,
        SECRET,
    )
    assert ours_req.headers["authorization"] == official

    # And our verifier (the sandbox's) accepts the official SDK's signature.
    their_parsed, _ = signed_part(theirs_req)
    assert their_parsed.signature == signing.expected_signature(
        theirs_req.method,
        theirs_req.path,
        theirs_req.query,
        theirs_req.headers,
        their_parsed.signed_headers,
        theirs_req.body,
        SECRET,
    )

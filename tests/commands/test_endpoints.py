"""Endpoints: the same hosts the official SDKs compute, and no host from bad input."""

from __future__ import annotations

import pytest
from alibabacloud_bssopenapi20171214.client import Client as BssClient
from alibabacloud_resourcemanager20200331.client import Client as ResourceManagerClient
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.utils_models import Config
from alibabacloud_yundun_bastionhost20191209.client import Client as BastionhostClient

from commands.client import CloudClient
from commands.credentials import Credentials, StaticCredentialsProvider
from commands.endpoints import BASTIONHOST_ENDPOINTS, Product, check_override, resolve_endpoint


def official_host(client_class: type, region: str) -> str:
    config = Config(access_key_id="id", access_key_secret="secret", region_id=region)
    return str(client_class(config)._endpoint)


def test_products_are_named_as_the_sdks_name_them() -> None:
    assert [p.value for p in Product] == ["ResourceManager", "BssOpenApi", "Bastionhost", "Sts"]
    assert Product("BssOpenApi") is Product.BSS


@pytest.mark.parametrize("region", ["cn-hangzhou", "ap-southeast-1", "eu-central-1", None])
def test_resource_manager_is_central(region: str | None) -> None:
    expected = official_host(ResourceManagerClient, region or "cn-hangzhou")
    assert resolve_endpoint(Product.RESOURCE_MANAGER, region) == f"https://{expected}"


def test_bss_site_picks_the_china_or_international_endpoint() -> None:
    assert resolve_endpoint(Product.BSS, None) == "https://" + official_host(
        BssClient, "cn-hangzhou"
    )
    assert resolve_endpoint(Product.BSS, "cn-hangzhou", site="international") == (
        "https://" + official_host(BssClient, "ap-southeast-1")
    )
    with pytest.raises(ValueError):
        resolve_endpoint(Product.BSS, None, site="mars")  # type: ignore[arg-type]


def test_sts_is_the_public_endpoint_of_its_api_pages() -> None:
    assert resolve_endpoint(Product.STS, None) == "https://sts.aliyuncs.com"
    # The official SDK gives the same host for the regions its map lists.
    assert official_host(StsClient, "cn-wuhan") == "sts.aliyuncs.com"


@pytest.mark.parametrize("region", [*sorted(BASTIONHOST_ENDPOINTS), "cn-nanjing", "ap-southeast-9"])
def test_bastionhost_matches_the_official_sdk_in_every_region(region: str) -> None:
    expected = official_host(BastionhostClient, region)
    assert resolve_endpoint(Product.BASTIONHOST, region) == f"https://{expected}"


@pytest.mark.parametrize("region", [None, "", "CN-HANGZHOU", "evil.com/x", "cn-hangzhou.evil.com"])
def test_bastionhost_refuses_a_missing_or_malformed_region(region: str | None) -> None:
    with pytest.raises(ValueError):
        resolve_endpoint(Product.BASTIONHOST, region)


def test_override_wins_for_every_product() -> None:
    for product in Product:
        got = resolve_endpoint(product, None, override="http://127.0.0.1:9000/")
        assert got == "http://127.0.0.1:9000"


@pytest.mark.parametrize("override", ["127.0.0.1:9000", "ftp://host", "http://"])
def test_override_must_be_an_http_url(override: str) -> None:
    with pytest.raises(ValueError):
        resolve_endpoint(Product.RESOURCE_MANAGER, None, override=override)


# Plain http:// sends the signed request, its security token and the answer in clear:
# only to this machine (the sandbox), never across a network.
@pytest.mark.parametrize(
    "override",
    [
        "http://10.0.0.5:9000",
        "http://sandbox.internal:9000",
        "http://127.0.0.1.nip.io:9000",  # a name that merely starts like loopback
        "http://localhost.attacker.example",
        "http://127.0.0.1@attacker.example",  # userinfo, then the real host
        "http://[::ffff:10.0.0.5]:9000",
        "http://0.0.0.0:9000",
    ],
)
def test_plain_http_to_another_host_is_refused_with_the_rule(override: str) -> None:
    with pytest.raises(ValueError, match=r"plain http:// only to this machine .* use https://"):
        check_override(override)
    with pytest.raises(ValueError, match="only to this machine"):
        resolve_endpoint(Product.BSS, None, override=override)
    with pytest.raises(ValueError, match="only to this machine"):
        CloudClient(
            StaticCredentialsProvider(Credentials("id", "secret")), endpoint_override=override
        )


@pytest.mark.parametrize(
    "override",
    [
        "http://127.0.0.1:9000",
        "http://127.45.6.7:9000",
        "http://[::1]:9000",
        "http://localhost:9000",
        "http://LOCALHOST:9000/",
        "https://sandbox.internal:9443",
        "https://10.0.0.5",
    ],
)
def test_loopback_http_and_https_anywhere_are_accepted(override: str) -> None:
    assert check_override(override) == override.rstrip("/")
    CloudClient(
        StaticCredentialsProvider(Credentials("id", "secret")), endpoint_override=override
    ).close()

"""Which host each product's API lives on.

``Product`` lives here (not in the catalog) so the catalog, the client and the sandbox
share it without an import cycle. ``resolve_endpoint`` returns a base URL
(``https://host``), or the override (``OFFBOARD_ALIBABA_ENDPOINT``) verbatim once
``check_override`` has accepted it: the one check, used by the settings and the client.

The hosts are the ones the official SDKs compute (their client ``__init__``:
``_endpoint_rule`` and ``_endpoint_map``, then ``get_endpoint_rules``):

- ResourceManager 2020-03-31: rule ``central`` -> ``resourcemanager.aliyuncs.com``.
- BssOpenApi 2017-12-14: ``business.aliyuncs.com`` for China-site accounts; the map sends
  every overseas region to ``business.ap-southeast-1.aliyuncs.com``, the
  international-site endpoint. Which one applies depends on the account's site, not on
  a region, so we take the site.
- Bastionhost 2019-12-09 (product id ``yundun-bastionhost``): rule ``regional``;
  the map below, else ``yundun-bastionhost.<RegionId>.aliyuncs.com``. RegionId required.
- Sts 2015-04-01: ``sts.aliyuncs.com``, the public endpoint the STS API pages give. (The
  SDK's rule is ``regional``: ``sts.<RegionId>.aliyuncs.com``, or that same central host
  for the regions its map lists.) Offboard only asks STS who it is, which any endpoint
  answers; the credential chain's AssumeRole follows ``ALIBABA_CLOUD_STS_REGION`` itself.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["BASTIONHOST_ENDPOINTS", "Product", "Site", "check_override", "resolve_endpoint"]

Site = Literal["china", "international"]


class Product(StrEnum):
    """The Alibaba Cloud products Offboard calls, named as their SDKs name them."""

    RESOURCE_MANAGER = "ResourceManager"
    BSS = "BssOpenApi"
    BASTIONHOST = "Bastionhost"
    STS = "Sts"


_RESOURCE_MANAGER_HOST = "resourcemanager.aliyuncs.com"
_STS_HOST = "sts.aliyuncs.com"
_BSS_HOSTS: dict[str, str] = {
    "china": "business.aliyuncs.com",
    "international": "business.ap-southeast-1.aliyuncs.com",
}

# alibabacloud_yundun_bastionhost20191209 1.7.2, Client.__init__ ``_endpoint_map``.
BASTIONHOST_ENDPOINTS: dict[str, str] = {
    "cn-qingdao": "yundun-bastionhost.aliyuncs.com",
    "cn-beijing": "yundun-bastionhost.aliyuncs.com",
    "cn-zhangjiakou": "bastionhost.cn-zhangjiakou.aliyuncs.com",
    "cn-huhehaote": "bastionhost.cn-huhehaote.aliyuncs.com",
    "cn-wulanchabu": "yundun-bastionhost.aliyuncs.com",
    "cn-hangzhou": "yundun-bastionhost.aliyuncs.com",
    "cn-shanghai": "yundun-bastionhost.aliyuncs.com",
    "cn-shenzhen": "yundun-bastionhost.aliyuncs.com",
    "cn-heyuan": "yundun-bastionhost.aliyuncs.com",
    "cn-guangzhou": "yundun-bastionhost.aliyuncs.com",
    "cn-chengdu": "yundun-bastionhost.aliyuncs.com",
    "cn-hongkong": "bastionhost.cn-hongkong.aliyuncs.com",
    "ap-northeast-1": "bastionhost.ap-northeast-1.aliyuncs.com",
    "ap-southeast-1": "bastionhost.ap-southeast-1.aliyuncs.com",
    "ap-southeast-3": "bastionhost.ap-southeast-3.aliyuncs.com",
    "ap-southeast-5": "bastionhost.ap-southeast-5.aliyuncs.com",
    "us-east-1": "bastionhost.us-east-1.aliyuncs.com",
    "us-west-1": "bastionhost.us-west-1.aliyuncs.com",
    "eu-west-1": "bastionhost.eu-west-1.aliyuncs.com",
    "eu-central-1": "bastionhost.eu-central-1.aliyuncs.com",
    "me-east-1": "yundun-bastionhost.aliyuncs.com",
    "cn-shanghai-finance-1": "yundun-bastionhost.aliyuncs.com",
    "cn-shenzhen-finance-1": "yundun-bastionhost.aliyuncs.com",
    "cn-north-2-gov-1": "yundun-bastionhost.aliyuncs.com",
    "ap-northeast-2-pop": "yundun-bastionhost.aliyuncs.com",
    "ap-south-1": "yundun-bastionhost.aliyuncs.com",
    "ap-southeast-2": "yundun-bastionhost.aliyuncs.com",
    "cn-beijing-finance-1": "yundun-bastionhost.aliyuncs.com",
    "cn-beijing-finance-pop": "yundun-bastionhost.aliyuncs.com",
    "cn-beijing-gov-1": "yundun-bastionhost.aliyuncs.com",
    "cn-beijing-nu16-b01": "yundun-bastionhost.aliyuncs.com",
    "cn-edge-1": "yundun-bastionhost.aliyuncs.com",
    "cn-fujian": "yundun-bastionhost.aliyuncs.com",
    "cn-haidian-cm12-c01": "yundun-bastionhost.aliyuncs.com",
    "cn-hangzhou-bj-b01": "yundun-bastionhost.aliyuncs.com",
    "cn-hangzhou-finance": "yundun-bastionhost.aliyuncs.com",
    "cn-hangzhou-internal-prod-1": "yundun-bastionhost.aliyuncs.com",
    "cn-hangzhou-internal-test-1": "yundun-bastionhost.aliyuncs.com",
    "cn-hangzhou-internal-test-2": "yundun-bastionhost.aliyuncs.com",
    "cn-hangzhou-internal-test-3": "yundun-bastionhost.aliyuncs.com",
    "cn-hangzhou-test-306": "yundun-bastionhost.aliyuncs.com",
    "cn-hongkong-finance-pop": "yundun-bastionhost.aliyuncs.com",
    "cn-huhehaote-nebula-1": "yundun-bastionhost.aliyuncs.com",
    "cn-qingdao-nebula": "yundun-bastionhost.aliyuncs.com",
    "cn-shanghai-et15-b01": "yundun-bastionhost.aliyuncs.com",
    "cn-shanghai-et2-b01": "yundun-bastionhost.aliyuncs.com",
    "cn-shanghai-inner": "yundun-bastionhost.aliyuncs.com",
    "cn-shanghai-internal-test-1": "yundun-bastionhost.aliyuncs.com",
    "cn-shenzhen-inner": "yundun-bastionhost.aliyuncs.com",
    "cn-shenzhen-st4-d01": "yundun-bastionhost.aliyuncs.com",
    "cn-shenzhen-su18-b01": "yundun-bastionhost.aliyuncs.com",
    "cn-wuhan": "yundun-bastionhost.aliyuncs.com",
    "cn-yushanfang": "yundun-bastionhost.aliyuncs.com",
    "cn-zhangbei": "yundun-bastionhost.aliyuncs.com",
    "cn-zhangbei-na61-b01": "yundun-bastionhost.aliyuncs.com",
    "cn-zhangjiakou-na62-a01": "yundun-bastionhost.aliyuncs.com",
    "cn-zhengzhou-nebula-1": "yundun-bastionhost.aliyuncs.com",
    "eu-west-1-oxs": "yundun-bastionhost.aliyuncs.com",
    "rus-west-1-pop": "yundun-bastionhost.aliyuncs.com",
    "cn-zhengzhou-jva": "yundun-bastionhost.aliyuncs.com",
    "ap-northeast-2": "bastionhost.ap-northeast-2.aliyuncs.com",
    "ap-southeast-6": "bastionhost.ap-southeast-6.aliyuncs.com",
    "ap-southeast-7": "bastionhost.ap-southeast-7.aliyuncs.com",
    "na-south-1": "bastionhost.na-south-1.aliyuncs.com",
}

# A region id is lower-case words joined by hyphens ("cn-hangzhou", "ap-southeast-1");
# anything else must not reach a host name.
_REGION = re.compile(r"^[a-z]{2,}(?:-[a-z0-9]+)+$")


def check_override(override: str) -> str:
    """``override`` without a trailing slash, if it may be used as the endpoint.

    It must be an ``http(s)://host[:port]`` URL, and plain ``http://`` only to this
    machine (127.0.0.0/8, ::1, ``localhost``): over the network, a signed request, its
    security token and the answer would travel in clear. ``ValueError`` says which rule.
    """
    parts = urlsplit(override)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("the endpoint override must look like http://host:port")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"the endpoint override may use plain http:// only to this machine "
            f"(127.0.0.0/8, ::1, localhost), not to {parts.hostname or 'no host'}: "
            "use https:// for any other host"
        )
    return override.rstrip("/")


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: only "localhost" is known to stay on this machine
        return False


def resolve_endpoint(
    product: Product,
    region: str | None,
    *,
    site: Site = "china",
    override: str | None = None,
) -> str:
    """The base URL for ``product``: ``https://<host>``, or ``override`` when given.

    ``region`` matters only for Bastionhost, which requires it (``ValueError`` when it is
    missing or not a region id). ``site`` picks BssOpenApi's China or international
    endpoint. ``override`` must pass :func:`check_override`; a trailing slash is dropped.
    """
    if override:
        return check_override(override)
    if product is Product.RESOURCE_MANAGER:
        host = _RESOURCE_MANAGER_HOST
    elif product is Product.STS:
        host = _STS_HOST
    elif product is Product.BSS:
        if site not in _BSS_HOSTS:
            raise ValueError(f"unknown BssOpenApi site {site!r}: use 'china' or 'international'")
        host = _BSS_HOSTS[site]
    else:
        if not region or not _REGION.match(region):
            raise ValueError("Bastionhost endpoints are regional: a valid RegionId is required")
        host = BASTIONHOST_ENDPOINTS.get(region, f"yundun-bastionhost.{region}.aliyuncs.com")
    return f"https://{host}"

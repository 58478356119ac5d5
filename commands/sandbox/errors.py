"""Error answers the way Alibaba Cloud's gateway writes them.

    {"RequestId": "...", "HostId": "resourcemanager.aliyuncs.com", "Code": "...",
     "Message": "...", "Recommend": "https://api.aliyun.com/troubleshoot?q=...&product=..."}

BssOpenApi answers add ``"Success": false``. No message here ever contains a secret,
a signature or a string to sign.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

# Gateway codes of Alibaba's signature V3 checks.
INCOMPLETE_SIGNATURE = (
    400,
    "IncompleteSignature",
    "The request signature does not conform to Aliyun standards.",
)
SIGNATURE_DOES_NOT_MATCH = (
    400,
    "SignatureDoesNotMatch",
    "Specified signature is not matched with our calculation.",
)
ACCESS_KEY_NOT_FOUND = (404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
TIMESTAMP_EXPIRED = (
    400,
    "InvalidTimeStamp.Expired",
    "Specified time stamp or date value is expired.",
)
TIMESTAMP_FORMAT = (
    400,
    "InvalidTimeStamp.Format",
    "Specified time stamp or date value is not well formatted.",
)
NONCE_USED = (400, "SignatureNonceUsed", "Specified signature nonce was used already.")
ACTION_NOT_FOUND = (
    404,
    "InvalidAction.NotFound",
    "Specified api is not found, please check your url and method.",
)
VERSION_INVALID = (400, "InvalidVersion", "Specified parameter Version is not valid.")


class SandboxError(Exception):
    """Raised by a handler: the sandbox answers it as an error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @classmethod
    def of(cls, triple: tuple[int, str, str]) -> SandboxError:
        return cls(*triple)


def missing(name: str) -> SandboxError:
    return SandboxError(400, f"MissingParameter.{name}", f"You must specify {name}.")


def required(params: Mapping[str, str], name: str) -> str:
    """The value of a mandatory parameter; ``missing(name)`` when absent or empty."""
    value = params.get(name)
    if not value:
        raise missing(name)
    return value


def invalid(name: str, message: str | None = None) -> SandboxError:
    return SandboxError(400, f"InvalidParameter.{name}", message or f"The {name} is invalid.")


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def error_body(
    error: SandboxError, *, request_id: str, host_id: str, product: str, bss: bool = False
) -> dict[str, Any]:
    """The JSON object of an error answer."""
    query = urlencode({"q": error.code, "product": product, "requestId": request_id})
    body: dict[str, Any] = {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": error.code,
        "Message": error.message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?{query}",
    }
    if bss:
        body["Success"] = False
    return body

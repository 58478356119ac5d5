"""Error answers the way Alibaba Cloud's gateway writes them, and which codes the sandbox
may answer.

    {"RequestId": "...", "HostId": "resourcemanager.aliyuncs.com", "Code": "...",
     "Message": "...", "Recommend": "https://api.aliyun.com/troubleshoot?q=...&product=..."}

BssOpenApi answers add ``"Success": false``. No message here ever contains a secret,
a signature or a string to sign.

A handler answers a code its operation's API page documents with ``documented(action,
code)``: status and message come from the page's table in the catalog
(``commands.catalog.page_errors``). Every other code is invented, listed in
``INVENTED`` and here, with the reason:

- Signature and routing checks, before any operation runs (no page of an operation
  lists them): ``IncompleteSignature``, ``SignatureDoesNotMatch``,
  ``InvalidAccessKeyId.NotFound``, ``InvalidTimeStamp.Expired``,
  ``InvalidTimeStamp.Format``, ``SignatureNonceUsed``, ``InvalidAction.NotFound``,
  ``InvalidVersion``.
- ``MissingParameter.<Name>`` and ``InvalidParameter.<Name>``: a parameter whose page
  gives no code for it (the shape of the DeleteAccount page's
  ``MissingParameter.AccountId`` and ``InvalidParameter.AccountId``).
- ``EntityNotExists.CheckResult``: GetAccountDeletionCheckResult before any
  CheckAccountDelete (a read; its page is not in our reference set).
- ``MissingParameter``, ``InvalidParameter``, ``RelationNotExist``: BssOpenApi, whose
  two pages document no codes at all ("See Error Codes for a complete list").
- ``EntityNotExists.Instance``: a bastion host instance that does not exist (or is not
  in the RegionId given); the DetachHostAccountsFromUser page does not say what it
  answers then.
- ``EntityNotExists.User``, ``EntityNotExists.Host``: ListHostAccountsForUser and
  ListHostsForUser (reads; their pages are not in our reference set).
- ``AccountAlreadyRegistered``: RegisterDelegatedAdministrator for a member already
  registered for the service. Its page is not in our reference set; the code, its 409 and
  its message are Resource Manager's public error-code list's.

Borrowed: the ResourceManager reads answer ``EntityNotExists.Account`` for a member that
does not exist, the DeleteAccount page's code and message for that case.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from commands.catalog import get_spec


@dataclass(frozen=True)
class Invented:
    """A code no page documents for the operation answering it: status, message, why."""

    status: int
    message: str
    reason: str


_GATEWAY = "the gateway's signature and routing checks; no operation's page lists them"
_BSS = "BssOpenApi's pages document no codes"

# Code (or ``Prefix.*``) -> the invented answer. Listed in the module docstring too.
INVENTED: Mapping[str, Invented] = {
    "IncompleteSignature": Invented(
        400, "The request signature does not conform to Aliyun standards.", _GATEWAY
    ),
    "SignatureDoesNotMatch": Invented(
        400, "Specified signature is not matched with our calculation.", _GATEWAY
    ),
    "InvalidAccessKeyId.NotFound": Invented(404, "Specified access key is not found.", _GATEWAY),
    "InvalidTimeStamp.Expired": Invented(
        400, "Specified time stamp or date value is expired.", _GATEWAY
    ),
    "InvalidTimeStamp.Format": Invented(
        400, "Specified time stamp or date value is not well formatted.", _GATEWAY
    ),
    "SignatureNonceUsed": Invented(400, "Specified signature nonce was used already.", _GATEWAY),
    "InvalidAction.NotFound": Invented(
        404, "Specified api is not found, please check your url and method.", _GATEWAY
    ),
    "InvalidVersion": Invented(400, "Specified parameter Version is not valid.", _GATEWAY),
    "MissingParameter.*": Invented(
        400, "You must specify the parameter.", "no page gives a code for this parameter"
    ),
    "InvalidParameter.*": Invented(
        400, "The parameter is invalid.", "no page gives a code for this parameter"
    ),
    "EntityNotExists.CheckResult": Invented(
        404,
        "No deletion check was started for this account. Call CheckAccountDelete first.",
        "a read whose page is not in our reference set",
    ),
    "MissingParameter": Invented(400, "A mandatory parameter is not supplied.", _BSS),
    "InvalidParameter": Invented(400, "The parameter is invalid.", _BSS),
    "RelationNotExist": Invented(404, "The account relation does not exist.", _BSS),
    "EntityNotExists.Instance": Invented(
        404,
        "The bastion host instance does not exist.",
        "the DetachHostAccountsFromUser page does not say what an unknown instance answers",
    ),
    "EntityNotExists.User": Invented(
        404, "The user does not exist.", "a read whose page is not in our reference set"
    ),
    "EntityNotExists.Host": Invented(
        404, "The host does not exist.", "a read whose page is not in our reference set"
    ),
    "AccountAlreadyRegistered": Invented(
        409,
        "The specified account is already a delegated administrator for this service.",
        "RegisterDelegatedAdministrator's page is not in our reference set; Resource "
        "Manager's public error-code list gives this code, status and message",
    ),
}


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


def invented_entry(code: str) -> Invented:
    """The ``INVENTED`` entry of ``code``; ``KeyError`` for a code nobody listed."""
    entry = INVENTED.get(code)
    if entry is None and "." in code:
        entry = INVENTED.get(code.split(".", 1)[0] + ".*")
    if entry is None:
        raise KeyError(f"the sandbox may not answer {code}: not documented, not listed")
    return entry


def invented(code: str, message: str | None = None) -> SandboxError:
    """An answer with a code no page documents (it must be listed in ``INVENTED``)."""
    entry = invented_entry(code)
    return SandboxError(entry.status, code, message or entry.message)


def documented(action: str, code: str) -> SandboxError:
    """The answer ``action``'s API page documents for ``code``: its status and message."""
    entry = get_spec(action).errors[code]
    return SandboxError(entry.status, code, entry.message)


def _triple(code: str) -> tuple[int, str, str]:
    entry = invented_entry(code)
    return entry.status, code, entry.message


INCOMPLETE_SIGNATURE = _triple("IncompleteSignature")
SIGNATURE_DOES_NOT_MATCH = _triple("SignatureDoesNotMatch")
ACCESS_KEY_NOT_FOUND = _triple("InvalidAccessKeyId.NotFound")
TIMESTAMP_EXPIRED = _triple("InvalidTimeStamp.Expired")
TIMESTAMP_FORMAT = _triple("InvalidTimeStamp.Format")
NONCE_USED = _triple("SignatureNonceUsed")
ACTION_NOT_FOUND = _triple("InvalidAction.NotFound")
VERSION_INVALID = _triple("InvalidVersion")


def _named(action: str | None, code: str, message: str) -> SandboxError:
    if action is not None and code in get_spec(action).errors:
        return documented(action, code)
    return invented(code, message)


def missing(name: str, action: str | None = None) -> SandboxError:
    """``MissingParameter.<name>``: as ``action``'s page documents it, or invented."""
    return _named(action, f"MissingParameter.{name}", f"You must specify {name}.")


def required(params: Mapping[str, str], name: str, action: str | None = None) -> str:
    """The value of a mandatory parameter; ``missing(name)`` when absent or empty."""
    value = params.get(name)
    if not value:
        raise missing(name, action)
    return value


def invalid(name: str, message: str | None = None, action: str | None = None) -> SandboxError:
    """``InvalidParameter.<name>``: as ``action``'s page documents it, or invented."""
    return _named(action, f"InvalidParameter.{name}", message or f"The {name} is invalid.")


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

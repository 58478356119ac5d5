"""The read-only calls of a member plan, each turned into a typed value.

Every function takes a :class:`~commands.catalog.quirks.Reader` and raises what the read
raises (an ``OffboardError``); :func:`failure` turns that into a ``ReadFailure`` for the
callers that must never raise (discovery, ``recheck``). Paged listings are read to the
end, up to ``MAX_PAGES`` pages: a plan built on a listing cut short would miss grants.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from commands.catalog.quirks import Reader
from commands.errors import ApiError, OffboardError
from commands.member_plan.model import (
    BastionUser,
    CheckItem,
    DeletionCheck,
    Directory,
    Member,
    Payer,
    ReadFailure,
    Relation,
)
from commands.responses import CallResult

MAX_PAGES = 50
_PAGE = "100"  # ListHostsForUser's PageSize: "The maximum value ... is 100"


class ReadFailed(OffboardError):
    """A read that failed, with what it said (:class:`NamingReader` raises it)."""

    def __init__(self, failure: ReadFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


class NamingReader:
    """A Reader that counts its reads and names the failing one (action and parameters):
    every failure comes out as :class:`ReadFailed`. Safe across threads."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader
        self._lock = threading.Lock()
        self.count = 0

    def read(self, action: str, params: Mapping[str, Any], /) -> CallResult:
        with self._lock:
            self.count += 1
        try:
            return self._reader.read(action, params)
        except Exception as error:
            raise ReadFailed(failure(action, params, error)) from None


class ListingTooLong(OffboardError):
    """A paged listing went on past ``MAX_PAGES``: too long to plan on safely."""


def failure(action: str, params: Mapping[str, Any], error: BaseException) -> ReadFailure:
    """What a failed read said: the cloud's Code, Message and RequestId when it answered."""
    shown = {name: str(value) for name, value in params.items()}
    if isinstance(error, ApiError):
        return ReadFailure(
            action,
            shown,
            error.code,
            error.message or "no message",
            error.request_id,
            error.http_status,
        )
    if isinstance(error, OffboardError):
        return ReadFailure(action, shown, None, str(error))
    return ReadFailure(action, shown, None, f"Internal error ({type(error).__name__}).")


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def directory(reader: Reader) -> Directory:
    info = reader.read("GetResourceDirectory", {}).body.get("ResourceDirectory") or {}
    return Directory(
        _text(info.get("ResourceDirectoryId")),
        _text(info.get("MasterAccountId")),
        _text(info.get("MemberDeletionStatus")),
    )


def member(reader: Reader, account_id: str) -> Member:
    info = reader.read("GetAccount", {"AccountId": account_id}).body.get("Account") or {}
    return Member(
        account_id,
        _text(info.get("DisplayName")),
        _text(info.get("Type")),
        _text(info.get("Status")),
        _text(info.get("ResourceDirectoryId")),
        _text(info.get("JoinMethod")),
    )


def services(reader: Reader, account_id: str) -> tuple[str, ...]:
    body = reader.read("ListDelegatedServicesForAccount", {"AccountId": account_id}).body
    rows = (body.get("DelegatedServices") or {}).get("DelegatedService") or []
    return tuple(
        dict.fromkeys(str(r["ServicePrincipal"]) for r in rows if r.get("ServicePrincipal"))
    )


def payer(reader: Reader, account_id: str) -> Payer:
    body = reader.read("GetPayerForAccount", {"AccountId": account_id}).body
    return Payer(_text(body.get("PayerAccountId")), _text(body.get("PayerAccountName")))


def _pages(fetch: Callable[[int], tuple[list[Any], int | None]]) -> Iterator[Any]:
    seen = 0
    for number in range(1, MAX_PAGES + 1):
        rows, total = fetch(number)
        yield from rows
        seen += len(rows)
        if not rows or total is None or seen >= total:
            return
    raise ListingTooLong(f"more than {MAX_PAGES} pages")


def _relation_rows(reader: Reader, payer_id: str) -> list[Mapping[str, Any]]:
    """QueryRelationList's rows in force (RELATED) for ``payer_id``."""

    def fetch(number: int) -> tuple[list[Any], int | None]:
        params = {"UserId": payer_id, "PageNum": str(number), "PageSize": "20"}
        data = reader.read("QueryRelationList", params).body.get("Data") or {}
        return list(data.get("FinancialRelationInfoList") or []), data.get("TotalCount")

    return [
        row
        for row in _pages(fetch)
        if row.get("RelationId") is not None and row.get("State") == "RELATED"
    ]


def relations(reader: Reader, payer_id: str, account_id: str) -> tuple[Relation, ...]:
    """The relations in force where ``payer_id`` pays for ``account_id``."""
    return tuple(
        Relation(int(row["RelationId"]), payer_id, _text(row.get("RelationType")), row["State"])
        for row in _relation_rows(reader, payer_id)
        if str(row.get("AccountId")) == account_id
    )


def relation_ids(reader: Reader, payer_id: str) -> set[str]:
    """The RelationIds in force for ``payer_id``."""
    return {str(row["RelationId"]) for row in _relation_rows(reader, payer_id)}


def hosts(reader: Reader, user: BastionUser) -> tuple[tuple[str, str | None], ...]:
    """(HostId, HostName) of every host ``user`` is authorized for."""

    def fetch(number: int) -> tuple[list[Any], int | None]:
        params = {**user.params(), "PageNumber": str(number), "PageSize": _PAGE}
        body = reader.read("ListHostsForUser", params).body
        return list(body.get("Hosts") or []), body.get("TotalCount")

    found = {str(h["HostId"]): _text(h.get("HostName")) for h in _pages(fetch) if h.get("HostId")}
    return tuple(found.items())


def host_accounts(reader: Reader, user: BastionUser, host_id: str) -> dict[str, str]:
    """HostAccountId -> name of the accounts authorized for ``user`` on ``host_id``."""

    def fetch(number: int) -> tuple[list[Any], int | None]:
        params = {**user.params(), "HostId": host_id, "PageNumber": str(number), "PageSize": _PAGE}
        body = reader.read("ListHostAccountsForUser", params).body
        return list(body.get("HostAccounts") or []), body.get("TotalCount")

    return {
        str(a["HostAccountId"]): str(a.get("HostAccountName") or "")
        for a in _pages(fetch)
        if a.get("HostAccountId") and a.get("IsAuthorized") is True
    }


@dataclass(frozen=True)
class CheckPoll:
    """How long to wait for GetAccountDeletionCheckResult to say PreCheckComplete."""

    interval: float = 1.0
    attempts: int = 30
    sleep: Callable[[float], None] = time.sleep


def _items(rows: Any) -> tuple[CheckItem, ...]:
    return tuple(
        CheckItem(
            str(r.get("CheckId") or "?"),
            str(r.get("CheckName") or ""),
            str(r.get("Description") or ""),
        )
        for r in rows or []
        if isinstance(r, Mapping)
    )


def deletion_check(reader: Reader, account_id: str, poll: CheckPoll) -> DeletionCheck:
    """A fresh CheckAccountDelete, polled until PreCheckComplete (or ``poll`` runs out)."""
    params = {"AccountId": account_id}
    reader.read("CheckAccountDelete", params)
    for attempt in range(poll.attempts):
        body = reader.read("GetAccountDeletionCheckResult", params).body
        info = body.get("AccountDeletionCheckResultInfo") or {}
        if info.get("Status") == "PreCheckComplete":
            not_allowed = _items(info.get("NotAllowReason"))
            allow = str(info.get("AllowDelete")).lower() == "true" and not not_allowed
            return DeletionCheck(True, allow, not_allowed, _items(info.get("AbandonableChecks")))
        if attempt + 1 < poll.attempts:
            poll.sleep(poll.interval)
    return DeletionCheck(False, False)

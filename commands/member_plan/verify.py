"""After a step: did it take effect? And before gate 2: what does a fresh check say?

    verify(reader, step) -> Progress     the step's reads, against what they must show
    recheck(reader, account_id) -> DeletionCheck   a fresh CheckAccountDelete, polled

Neither raises: a read that fails makes the verdict UNKNOWN (``verify``) or is the
check's ``failure`` (``recheck``), with the cloud's Code, Message and RequestId.
"""

from __future__ import annotations

from commands.catalog.quirks import Progress, Reader
from commands.member_plan import reads
from commands.member_plan.model import BastionUser, DeletionCheck
from commands.member_plan.steps import Check, Step


def _user(params: dict[str, str]) -> BastionUser:
    return BastionUser(params["RegionId"], params["InstanceId"], params["UserId"])


def _listing(reader: Reader, check: Check) -> set[str]:
    params = dict(check.params)
    if check.action == "ListDelegatedServicesForAccount":
        return set(reads.services(reader, params["AccountId"]))
    if check.action == "ListHostAccountsForUser":
        return set(reads.host_accounts(reader, _user(params), params["HostId"]))
    if check.action == "ListHostsForUser":
        return {host_id for host_id, _ in reads.hosts(reader, _user(params))}
    if check.action == "QueryRelationList":
        return reads.relation_ids(reader, params["UserId"])
    raise ValueError(f"no listing for {check.action}")


def _unmet(reader: Reader, check: Check) -> str | None:
    found = _listing(reader, check)
    still = [item for item in check.absent if item in found]
    missing = [item for item in check.present if item not in found]
    if still or missing or (check.empty and found):
        return (
            f"Expected {check.expect}; {check.action} shows {', '.join(sorted(found)) or 'none'}."
        )
    return None


_RUNNING = {"Checking": "the deletion check is running", "Deleting": "the member is being deleted"}


def _deletion(reader: Reader, account_id: str) -> Progress:
    result = reader.read("GetAccountDeletionStatus", {"AccountId": account_id})
    info = result.body.get("RdAccountDeletionStatus") or {}
    status = str(info.get("Status") or "")
    if status == "Success":
        return Progress("SUCCEEDED", f"Member {account_id} is deleted.", result=result)
    if status in _RUNNING:
        words = _RUNNING[status]
        if str(info.get("DeletionType")) == "1":
            words += " (DeletionType 1: after the silence period)"
        return Progress("RUNNING", f"Status {status}: {words}.", result=result)
    reasons = tuple(
        f"{r.get('Name') or '?'}: {r.get('Description') or ''}"
        for r in info.get("FailReasonList") or []
        if isinstance(r, dict)
    )
    return Progress("FAILED", f"Status {status or 'unknown'}.", reasons, result)


def verify(reader: Reader, step: Step) -> Progress:
    """Whether ``step`` took effect: SUCCEEDED, FAILED (details say what is still there),
    RUNNING (a deletion under way), or UNKNOWN when a read failed."""
    naming = reads.NamingReader(reader)
    try:
        if step.action == "DeleteAccount":
            return _deletion(naming, step.params["AccountId"])
        unmet = [why for check in step.checks if (why := _unmet(naming, check)) is not None]
    except reads.ReadFailed as failed:
        return Progress("UNKNOWN", f"Could not verify: {failed.failure}.")
    except Exception as error:  # a malformed answer: say so, never raise to the bot
        return Progress("UNKNOWN", f"Could not verify: {reads.failure(step.action, {}, error)}.")
    if unmet:
        return Progress("FAILED", f"{step.action} has not taken effect.", tuple(unmet))
    return Progress("SUCCEEDED", "Verified: " + "; ".join(c.expect for c in step.checks) + ".")


def recheck(reader: Reader, account_id: str, poll: reads.CheckPoll | None = None) -> DeletionCheck:
    """A fresh CheckAccountDelete polled to PreCheckComplete; never raises (a failed
    read is the result's ``failure``; a check still running is ``complete=False``)."""
    try:
        return reads.deletion_check(
            reads.NamingReader(reader), account_id, poll or reads.CheckPoll()
        )
    except reads.ReadFailed as failed:
        return DeletionCheck(False, False, failure=failed.failure)
    except Exception as error:
        return DeletionCheck(False, False, failure=reads.failure("CheckAccountDelete", {}, error))

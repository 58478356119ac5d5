"""What happened to a call whose answer we never got: ask the cloud, or tell humans.

A call that was sent but not answered (the worker died, the connection broke after
sending, the cloud failed with a 5xx) is never sent again. When its spec declares how to
``settle`` it (``spec.quirks.settle``: DeleteAccount asks GetAccountDeletionStatus, then
GetAccount), the cloud is asked; whatever it cannot say, and every operation without a
``settle``, ends UNKNOWN with the read-only check a person should run
(``spec.quirks.what_to_check``, or a generic line). No operation is named here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.events import Ending
from bot.execution.results import ResultWriter, from_call
from commands.catalog import OperationSpec, validate_params
from commands.catalog.quirks import Progress, Reader
from commands.errors import CloudError, OffboardError
from commands.responses import CallResult
from storage.records import ExecutionRecord, RequestRecord
from storage.states import Status

if TYPE_CHECKING:  # follow imports this module
    from bot.execution.follow import Follower


def what_to_check(spec: OperationSpec, params: Mapping[str, Any]) -> str:
    """The read-only check a person should run before asking for the call again;
    ``params`` are the request's stored parameters."""
    check = spec.quirks.what_to_check
    if check is None:
        return f"Check in the console whether {spec.action} took effect."
    return check({k: str(v) for k, v in params.items()})


def unknown_outcome(spec: OperationSpec, params: Mapping[str, Any], why: str) -> Progress:
    """The honest end for a call that may or may not have happened."""
    return Progress("UNKNOWN", f"{why} It was not sent again. {what_to_check(spec, params)}")


def settle_unanswered(
    reader: Reader, spec: OperationSpec, params: Mapping[str, Any], why: str = ""
) -> Progress:
    """What became of a call of ``spec`` with the stored ``params`` that was sent but
    never answered: the spec's ``settle`` asked through ``reader``, else UNKNOWN with
    ``why`` and what to check. RUNNING means: follow it (``spec.quirks.follow_up``)."""
    settle = spec.quirks.settle
    if settle is None:
        return unknown_outcome(spec, params, why or "No answer came back.")
    try:
        progress = settle(reader, validate_params(spec, params))
    except CloudError as error:
        return unknown_outcome(spec, params, f"Asking the cloud failed ({error}).")
    except OffboardError as error:  # stored parameters the spec no longer takes
        return unknown_outcome(spec, params, f"Could not ask the cloud ({error}).")
    if progress.verdict == "UNKNOWN":
        return unknown_outcome(spec, params, progress.message)
    if progress.verdict == "RUNNING" and spec.quirks.follow_up is None:
        return unknown_outcome(spec, params, progress.message)
    return progress


class Settler:
    """Ends an execution from what the cloud said, by the spec's quirks: the worker's one
    place that decides SUCCEEDED, PARTIAL, FAILED, UNKNOWN or "follow it"."""

    def __init__(self, reader: Reader, out: ResultWriter, follower: Follower) -> None:
        self.reader = reader
        self.out = out
        self.follower = follower

    def answered(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        spec: OperationSpec,
        result: CallResult,
    ) -> None:
        """The cloud answered: failed, followed (a ``follow_up``), partial or succeeded."""
        quirks = spec.quirks
        if not result.ok:  # an error answered with HTTP 200 (BssOpenApi "Success": false)
            self.out.finish(record, execution, Status.FAILED, from_call(result))
        elif quirks.follow_up is not None:
            self.follower.start(record, execution, spec, accepted=result)
        elif quirks.item_failures is not None and quirks.item_failures(result):
            self.out.finish(record, execution, Status.PARTIAL, from_call(result))
        else:
            self.out.finish(record, execution, Status.SUCCEEDED, from_call(result))

    def unanswered(
        self,
        record: RequestRecord,
        execution: ExecutionRecord,
        spec: OperationSpec,
        why: str,
        event: type[Ending],
        answer: CallResult | None = None,
    ) -> None:
        """A sent call with no answer that says whether it took effect; never re-sent.

        The spec's ``settle`` asks the cloud what happened (followed if still running);
        without one, or when the cloud cannot say, it ends UNKNOWN with what to check.
        """
        progress = settle_unanswered(self.reader, spec, record.params, why)
        if progress.verdict == "RUNNING":
            self.follower.start(record, execution, spec, accepted=None, event=event)
            return
        # The unanswered call's own answer (a 5xx) is kept with an outcome nobody knows.
        kept = answer if progress.verdict == "UNKNOWN" else None
        self.out.conclude(record, execution, progress, kept, event=event)

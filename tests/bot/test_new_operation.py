"""A new operation is its spec: added to the bot's catalog and answered by the sandbox,
with no change anywhere else, it runs the whole way.

``RetireWidget`` (invented: a destructive call that only starts a retirement) and its
read ``GetWidgetRetirement`` are declared here as any product module declares its specs,
with their quirks: a pre-check for approvers, a follow-up that polls the read until the
widget is retired, and what to check when the outcome is unknown. The sandbox answers both
through its ``apis`` door. Then, through the real HTTP endpoint: ``/offboard`` opens its
modal, the submission files it (the pre-check on the card), two approvers approve with
their codes, the worker sends it once and follows it to SUCCEEDED, and the thread tells
each step. ``bot/`` never learns the name: the test that greps it (``test_layout``)
passes with this operation as with every other.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.devstack.local_stack import APPROVERS, REQUESTER, local_stack
from commands.catalog import DEFAULT_CATALOG, OperationClass, OperationParams, ResponseModel
from commands.catalog.base import OperationSpec, param
from commands.catalog.quirks import Checks, Finding, FollowUp, Progress, Quirks, Reader
from commands.catalog.wire import flat
from commands.endpoints import Product
from commands.sandbox.routes import Api
from commands.sandbox.world import World
from tests.bot.slack.test_flow import card_text
from tests.support.clock import FakeClock
from tests.support.slack import Slack

WIDGET = "wg-0001"


# ---- the operation: what a product module would declare -------------------------------


class WidgetParams(OperationParams):
    WidgetId: str = param("Widget", example="wg-0001", hint="The widget to retire.")


class WidgetResponse(ResponseModel):
    RequestId: str | None = None
    Status: str | None = None


def _retirement(reader: Reader, params: Any) -> Progress:
    answer = reader.read("GetWidgetRetirement", {"WidgetId": params.WidgetId})
    status = str(answer.body.get("Status") or "")
    if status == "Retired":
        return Progress("SUCCEEDED", "The widget is retired.", result=answer)
    if status == "Retiring":
        return Progress("RUNNING", "Retiring.", result=answer)
    return Progress("FAILED", f"The widget is {status or 'in no known state'}.", result=answer)


def _precheck(checks: Checks, params: Any) -> list[Finding]:
    status = checks.read("GetWidgetRetirement", {"WidgetId": params.WidgetId}).get("Status")
    return [Finding("Widget", "ok", (f"{params.WidgetId} is {status}.",))]


def _spec(action: str, op_class: OperationClass, **rest: Any) -> OperationSpec:
    return OperationSpec(
        action=action,
        product=Product.RESOURCE_MANAGER,
        version="2020-03-31",
        params_model=WidgetParams,
        response_model=WidgetResponse,
        serialize=flat,
        op_class=op_class,
        **rest,
    )


RETIRE_WIDGET = _spec(
    "RetireWidget",
    OperationClass.DESTRUCTIVE,
    summary=lambda p: f"Retire widget {p.WidgetId}",
    danger="The widget is retired for good.",
    quirks=Quirks(
        prechecks=_precheck,
        follow_up=FollowUp(_retirement),
        what_to_check=lambda p: f"Run GetWidgetRetirement for {p.get('WidgetId')}.",
    ),
)
GET_WIDGET_RETIREMENT = _spec(
    "GetWidgetRetirement",
    OperationClass.READ,
    summary=lambda p: f"Read the retirement of widget {p.WidgetId}",
)


# ---- the sandbox's side ---------------------------------------------------------------


class Widgets:
    """The sandbox's widgets: a retirement is seen Retiring twice, then Retired."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.retiring: dict[str, int] = {}

    def retire(self, _w: World, params: Mapping[str, str], _n: datetime, _c: str) -> dict[str, Any]:
        with self._lock:
            self.retiring[params["WidgetId"]] = 2
        return {}

    def status(self, _w: World, params: Mapping[str, str], _n: datetime, _c: str) -> dict[str, Any]:
        with self._lock:
            left = self.retiring.get(params["WidgetId"])
            if left is None:
                return {"Status": "Active"}
            self.retiring[params["WidgetId"]] = max(0, left - 1)
        return {"Status": "Retiring" if left else "Retired"}


def test_a_new_operation_runs_end_to_end_from_its_spec_alone(
    tmp_path: Path, clock: FakeClock
) -> None:
    widgets = Widgets()
    answers = {"RetireWidget": widgets.retire, "GetWidgetRetirement": widgets.status}
    api = Api("ResourceManager", "2020-03-31", "resourcemanager.aliyuncs.com", answers)
    catalog = DEFAULT_CATALOG.with_specs(RETIRE_WIDGET, GET_WIDGET_RETIREMENT)
    assert "RetireWidget" in catalog.requestable
    with local_stack(
        tmp_path, clock=clock, worker_poll=0.2, catalog=catalog, sandbox_apis=(api,)
    ) as stack:
        slack = Slack(stack, clock)
        request = slack.request(REQUESTER, f"RetireWidget WidgetId={WIDGET}")
        card = card_text(slack.card(request))
        assert "Retire widget wg-0001" in card and "wg-0001 is Active." in card  # pre-check
        assert "0 of 2" in card and slack.sandbox.count("RetireWidget") == 0
        for approver in APPROVERS:
            slack.click(approver, "approve", request)
        assert slack.wait_status(request, "SUCCEEDED", "FAILED", "UNKNOWN") == "SUCCEEDED"
        slack.settle()

        assert slack.sandbox.count("RetireWidget") == 1
        # One read for the pre-check, then the follow-up: Retiring, Retiring, Retired.
        assert slack.sandbox.count("GetWidgetRetirement") == 4
        replies = "\n".join(card_text(m) for m in slack.thread(request))
        assert "Approved by" in replies
        assert f"Calling `RetireWidget` at `{slack.sandbox.base_url}`" in replies
        assert "`RetireWidget` status: *Retiring.*" in replies
        assert "Succeeded: `RetireWidget`" in replies and "The widget is retired." in replies
        assert "succeeded" in card_text(slack.card(request)).lower()

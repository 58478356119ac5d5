"""``offboard-bot demo``: the whole flow on this machine, printed as a Slack transcript.

Starts the sandbox cloud, the Slack Web API stand-in and the bot over HTTP, all on
loopback with a temporary SQLite database, then plays three people by sending the bot
Slack-signed HTTP requests exactly as Slack would:

1. alice asks to delete member 1699461245510000, still a delegated administrator with a
   finance relation: the pre-check on the card says deletion is blocked;
2. alice tries to approve her own request and is refused (only she sees it);
3. bob and carol approve, each with the 6-digit code of their authenticator app (the
   approve window shows the call and its digest); the cloud answers
   RemoveConfilctAccountAsDelegatedAdministator, reported in the thread;
4. alice asks for DeregisterDelegatedAdministrator and RelieveAccountRelation; both are
   approved and run;
5. alice asks for DeleteAccount again: the pre-check now allows it, and after the
   approvals the deletion is followed until Success;
6. alice offboards another member as one plan (:mod:`bot.devstack.demo_plan`).

Everything printed comes from what the stand-in recorded. No credentials, no network.
The approvers are enrolled with public demo secrets (:mod:`bot.devstack.authenticator`,
DEMO ONLY); the demo computes their codes as their phones would, and moves its clock on
30 s when someone needs a fresh code, instead of waiting for it.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from bot import logs
from bot.approvals import totp
from bot.devstack.approving import click_approve, submit_code
from bot.devstack.demo_plan import play_plan
from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, REQUESTER, LocalStack, local_stack
from bot.devstack.payloads import Person
from bot.devstack.standin import Message
from bot.devstack.transcript import boxed, render, reply
from storage.records import RequestRecord
from storage.states import PlanState, Status

T = TypeVar("T")
NAMES = {p.user_id: p.name for p in (REQUESTER, *APPROVERS)} | {"U0OFFBOT": "offboard"}
REASON = "security-tools is being retired; its team moved to the platform account (HR-4711)"
MEMBER = "1699461245510000"


def _wait(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(f"the demo gave up waiting for {what}")


class Demo:
    """The scenario, one person's action at a time."""

    def __init__(self, stack: LocalStack, out: Callable[[str], None]) -> None:
        self.stack = stack
        self.out = out
        self.repo = stack.deps.repo

    def say(self, person: Person, action: str) -> None:
        self.out(f"\n▶ {person.name}: {action}")

    def ask(self, text: str) -> RequestRecord:
        """alice types ``/offboard {text}``, fills the reason and submits the modal."""
        standin = self.stack.standin
        known = {r.id for r in self.repo.list_requests(limit=1000)}
        opened = len(standin.calls("views.open"))
        self.say(REQUESTER, f"/offboard {text}")
        self._ok(self.stack.signer.slash_command(REQUESTER, text))
        view = standin.wait_for_calls("views.open", opened + 1)[opened].params["view"]
        filled = [
            f"{b['block_id']}={b['element'].get('initial_value')}"
            for b in view["blocks"]
            if b.get("type") == "input" and b["element"].get("initial_value")
        ]
        self.out(f"  (the modal opens, filled: {', '.join(filled) or 'nothing'})")
        self.say(REQUESTER, f'submits with reason "{REASON}"')
        # Each opened view has its own id; Offboard files one request per view.
        view = {**view, "id": f"V0DEMO{opened}"}
        self._ok(self.stack.signer.submit(REQUESTER, view, {"reason": REASON}))

        def posted() -> RequestRecord | None:
            fresh = [r for r in self.repo.list_requests(limit=1000) if r.id not in known]
            return fresh[0] if fresh and fresh[0].card_ts else None

        request = _wait("the approval card", posted)
        self.out(boxed(f"#offboard-approvals · new card {request.id}", self._card(request)))
        return request

    def click(self, person: Person, action_id: str, request: RequestRecord) -> None:
        self.say(person, f"clicks {action_id.title()} on {request.id}")
        seen = len(self.stack.standin.calls("chat.postEphemeral"))
        view = click_approve(self.stack, person, request.id, str(request.card_ts))
        if view is not None:
            self._type_code(person, view)
            return
        call = self.stack.standin.wait_for_calls("chat.postEphemeral", seen + 1)[seen]
        lines = render([], str(call.params["text"]), NAMES)
        self.out(reply(f"(only {person.name} sees this) offboard", lines))

    def _type_code(self, person: Person, view: dict[str, Any]) -> None:
        """The step-up window: show it, then type the code the person's phone shows."""
        shown = [
            line
            for b in view["blocks"]
            if b.get("type") == "section"
            for line in render([b], "", NAMES)
        ]
        self.out(boxed(f"window for {person.name} · {view['title']['text']}", shown))
        before = totp.time_step(self.stack.authenticator.clock())
        code = self.stack.authenticator.code(person.user_id)
        if totp.time_step(self.stack.authenticator.clock()) != before:
            self.out("  (the demo clock moves on 30 s: their last code was of this step)")
        self.say(person, f"types {code} from their authenticator app and presses Approve")
        response = submit_code(self.stack, person, view, code)
        self._ok(response)
        if response.text:
            raise RuntimeError(f"the code was refused: {response.text}")
        self.out("  (the window closes: the approval is recorded with its code)")

    def conclude(self, request: RequestRecord) -> Status:
        """Wait for the end, then print the thread, the final card and the DM."""

        def finished() -> Status | None:
            record = self.repo.get_request(request.id)
            return record.status if record and record.status.is_final else None

        status = _wait(f"{request.id} to finish", finished)
        self._settle()
        self.out(f"  thread under {request.id}:")
        for message in self.stack.standin.thread(APPROVAL_CHANNEL, str(request.card_ts)):
            self.out(reply("offboard", render(message.blocks, message.text, NAMES)))
        self.out(boxed(f"#offboard-approvals · card {request.id} now", self._card(request)))
        for message in self._dms()[-1:]:
            self.out(reply("DM to alice", render(message.blocks, message.text, NAMES), "  "))
        return status

    def _card(self, request: RequestRecord) -> list[str]:
        ts = self.repo.get_request(request.id).card_ts  # type: ignore[union-attr]
        card = next(m for m in self.stack.standin.messages(APPROVAL_CHANNEL) if m.ts == ts)
        return render(card.blocks, card.text, NAMES)

    def _dms(self) -> list[Message]:
        return [m for m in self.stack.standin.messages() if m.channel.startswith("D")]

    def _settle(self) -> None:
        self.stack.deps.announcer_bell.ring()
        _wait("Slack to be told everything", lambda: not self.repo.undelivered_announcements())

    @staticmethod
    def _ok(response: Any) -> None:
        if response.status_code != 200:
            raise RuntimeError(f"the bot answered HTTP {response.status_code}: {response.text}")


def play(demo: Demo) -> list[Status]:
    """The scenario of the module docstring; returns each request's final status."""
    bob, carol = APPROVERS
    outcomes = []
    first = demo.ask(f"DeleteAccount AccountId={MEMBER}")
    demo.click(REQUESTER, "approve", first)
    demo.click(bob, "approve", first)
    demo.click(carol, "approve", first)
    outcomes.append(demo.conclude(first))
    for text in (
        f"DeregisterDelegatedAdministrator AccountId={MEMBER} "
        "ServicePrincipal=cloudfw.aliyuncs.com",
        "RelieveAccountRelation RelationType=enterprise_group "
        f"ParentUserId=1738376485192612 ChildUserId={MEMBER}",
        f"DeleteAccount AccountId={MEMBER}",
    ):
        request = demo.ask(text)
        demo.click(bob, "approve", request)
        demo.click(carol, "approve", request)
        outcomes.append(demo.conclude(request))
    return outcomes


def run_demo(out: Callable[[str], None] = print) -> int:
    """Run the scenario end to end; 0 when every step ended as the story says."""
    # The transcript is the output: only warnings and errors go to the log (stderr).
    logs.configure("WARNING", json=False)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # it sets INFO on its own
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="offboard-demo-") as workdir,
        local_stack(Path(workdir)) as stack,
    ):
        out("Offboard demo: sandbox cloud, Slack stand-in and the bot on 127.0.0.1")
        out(f"  bot {stack.events_url} · cloud {stack.sandbox.base_url}")
        out(f"  Slack Web API stand-in {stack.standin.api_url}")
        out(
            "  Approvals need a code (OFFBOARD_STEP_UP=totp). alice, bob and carol are enrolled "
            "with PUBLIC DEMO-ONLY\n  secrets and key (bot/devstack/authenticator.py); a real "
            "deployment uses `offboard-bot totp enrol`."
        )
        for message in stack.setup.messages:
            out(
                reply(
                    "offboard in #offboard-approvals", render(message.blocks, message.text, NAMES)
                )
            )
        outcomes: list[StrEnum] = [*play(Demo(stack, out))]
        out("\n— Another member, offboarded as one plan —")
        outcomes.append(play_plan(Demo(stack, out), NAMES))
        calls = [c.action for c in stack.sandbox.calls]
    succeeded = [Status.SUCCEEDED] * 3
    expected: list[StrEnum] = [Status.FAILED, *succeeded, PlanState.SUCCEEDED]
    out(f"\nSigned calls the cloud received: {', '.join(calls)}")
    out(f"Outcomes: {', '.join(outcomes)} in {time.monotonic() - started:.1f}s")
    return 0 if outcomes == expected else 1

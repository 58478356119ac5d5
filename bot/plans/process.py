"""A stand-alone plan runner: ``python -m bot.plans.process --database-url ...``.

Runs member plans' approved gates next to (or instead of) the bot's own runner, as
``bot.execution.process`` runs single requests: several may share one database, and
one killed at any point leaves nothing a later runner sends twice. Credentials come
from the official chain, the policy the door counts against from the bot's settings;
like the stand-alone worker it refuses an approver user group (exit 2). Runs until
SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType

from bot.approvals.policy import ApprovalRules
from bot.cloud import make_cloud_client
from bot.plans.runner import PlanRunner
from bot.settings import Settings
from commands.member_plan import CheckPoll
from storage.db import make_engine
from storage.repository import Repository


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.plans.process", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--endpoint", default=None, help="OFFBOARD_ALIBABA_ENDPOINT")
    parser.add_argument("--owner", default=None)
    parser.add_argument("--lease-seconds", type=float, default=60.0)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--check-interval", type=float, default=1.0)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings()
    if settings.approver_usergroup:
        print(
            "a stand-alone plan runner cannot resolve OFFBOARD_APPROVER_USERGROUP", file=sys.stderr
        )
        return 2
    owner = args.owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    engine = make_engine(args.database_url)
    client = make_cloud_client(args.endpoint)
    stop, wakeup = threading.Event(), threading.Event()
    runner = PlanRunner(
        Repository(engine),
        client,
        owner=owner,
        clock=utcnow,
        rules=ApprovalRules.from_settings(settings, clock=utcnow),
        lease_seconds=args.lease_seconds,
        poll=CheckPoll(interval=args.check_interval),
    )

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        wakeup.set()

    signal.signal(signal.SIGTERM, on_term)
    try:
        runner.run_forever(stop, wakeup, args.poll_seconds)
    finally:
        client.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

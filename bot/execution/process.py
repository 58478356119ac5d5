"""A stand-alone worker process: ``python -m bot.execution.process --database-url ...``.

Used by the multi-process tests and handy for running extra workers next to the bot.
Credentials come from the official credential chain (``bot.cloud``), and the approval policy the
door counts against from the bot's (``OFFBOARD_APPROVERS``, ``OFFBOARD_REQUIRED_*``).
A stand-alone worker cannot ask Slack who is in ``OFFBOARD_APPROVER_USERGROUP``, so it
refuses to start with one set (exit 2) rather than refuse every approval by its members.
``--until-idle`` runs rounds until one finds nothing to do, then exits (status 0);
otherwise it runs until SIGTERM.
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
from bot.execution.worker import FollowPolicy, Worker
from bot.settings import Settings
from storage.db import make_engine
from storage.repository import Repository


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.execution.process", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--endpoint", default=None, help="OFFBOARD_ALIBABA_ENDPOINT")
    parser.add_argument("--owner", default=None)
    parser.add_argument("--lease-seconds", type=float, default=60.0)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--follow-delay", type=float, default=1.0)
    parser.add_argument("--until-idle", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings()
    if settings.approver_usergroup:
        print(
            "a stand-alone worker cannot resolve OFFBOARD_APPROVER_USERGROUP; "
            "run the worker inside `offboard-bot serve`",
            file=sys.stderr,
        )
        return 2
    owner = args.owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    engine = make_engine(args.database_url)
    client = make_cloud_client(args.endpoint)
    stop = threading.Event()
    worker = Worker(
        Repository(engine),
        client,
        owner=owner,
        clock=utcnow,
        rules=ApprovalRules.from_settings(settings, clock=utcnow),
        lease_seconds=args.lease_seconds,
        poll_seconds=args.poll_seconds,
        follow=FollowPolicy(first_delay=args.follow_delay),
        stop=stop,
    )

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        worker.wake()

    signal.signal(signal.SIGTERM, on_term)
    try:
        if args.until_idle:
            while not stop.is_set() and worker.run_once():
                pass
            worker.wait_for_followers(timeout=3600)
        else:
            worker.run_forever(stop)
    finally:
        client.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

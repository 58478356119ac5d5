"""A stand-alone worker process: ``python -m bot.execution.process --database-url ...``.

Used by the multi-process tests and handy for running extra workers next to the bot.
Credentials come from the official credential chain (``bot.cloud``), and the approval policy the
door counts against from the bot's (``OFFBOARD_APPROVERS``, ``OFFBOARD_REQUIRED_*``).
Like every stand-alone process (:mod:`bot.execution.standalone`) it refuses an approver
user group (exit 2). ``--until-idle`` runs rounds until one finds nothing to do, then
exits (status 0); otherwise it runs until SIGTERM.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot.execution.standalone import parser, start, utcnow
from bot.execution.worker import FollowPolicy, Worker


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    flags = parser("python -m bot.execution.process", __doc__)
    flags.add_argument("--follow-delay", type=float, default=1.0)
    flags.add_argument("--until-idle", action="store_true")
    return flags.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    process = start(args, "worker", "; run the worker inside `offboard-bot serve`")
    if process is None:
        return 2
    worker = Worker(
        process.repo,
        process.client,
        owner=process.owner,
        clock=utcnow,
        rules=process.rules,
        lease_seconds=args.lease_seconds,
        poll_seconds=args.poll_seconds,
        follow=FollowPolicy(first_delay=args.follow_delay),
        stop=process.stop,
    )
    process.stop_on_sigterm(worker.wake)
    try:
        if args.until_idle:
            while not process.stop.is_set() and worker.run_once():
                pass
            worker.wait_for_followers(timeout=3600)
        else:
            worker.run_forever(process.stop)
    finally:
        process.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A stand-alone plan runner: ``python -m bot.plans.process --database-url ...``.

Runs member plans' approved gates next to (or instead of) the bot's own runner, as
``bot.execution.process`` runs single requests: several may share one database, and
one killed at any point leaves nothing a later runner sends twice. Credentials come
from the official chain, the policy the door counts against from the bot's settings;
like every stand-alone process (:mod:`bot.execution.standalone`) it refuses an approver
user group (exit 2). Runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence

from bot.execution.standalone import parser, start, utcnow
from bot.plans.runner import PlanRunner
from commands.member_plan import CheckPoll


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    flags = parser("python -m bot.plans.process", __doc__)
    flags.add_argument("--check-interval", type=float, default=1.0)
    return flags.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    process = start(args, "plan runner")
    if process is None:
        return 2
    wakeup = threading.Event()
    runner = PlanRunner(
        process.repo,
        process.client,
        owner=process.owner,
        clock=utcnow,
        rules=process.rules,
        lease_seconds=args.lease_seconds,
        poll=CheckPoll(interval=args.check_interval),
    )
    process.stop_on_sigterm(wakeup.set)
    try:
        runner.run_forever(process.stop, wakeup, args.poll_seconds)
    finally:
        process.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

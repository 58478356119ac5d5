"""What every stand-alone process of the bot shares (``bot.execution.process``, the
worker; ``bot.plans.process``, the plan runner): the common flags, the refusal of an
approver user group, the collaborators, and SIGTERM as a stop.

A stand-alone process cannot ask Slack who is in ``OFFBOARD_APPROVER_USERGROUP``, so it
refuses to start with one set (exit 2) rather than refuse every approval by its members.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType

from sqlalchemy import Engine

from bot.approvals.policy import ApprovalRules
from bot.cloud import make_cloud_client
from bot.settings import Settings
from commands.client import CloudClient
from storage.db import make_engine
from storage.repository import Repository


def utcnow() -> datetime:
    return datetime.now(UTC)


def parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The flags every stand-alone process takes; add its own to the result."""
    flags = argparse.ArgumentParser(prog=prog, description=description)
    flags.add_argument("--database-url", required=True)
    flags.add_argument("--endpoint", default=None, help="OFFBOARD_ALIBABA_ENDPOINT")
    flags.add_argument("--owner", default=None)
    flags.add_argument("--lease-seconds", type=float, default=60.0)
    flags.add_argument("--poll-seconds", type=float, default=1.0)
    return flags


@dataclass
class Standalone:
    """The collaborators of one stand-alone process, closed by :meth:`close`."""

    owner: str
    engine: Engine
    client: CloudClient
    rules: ApprovalRules
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def repo(self) -> Repository:
        return Repository(self.engine)

    def stop_on_sigterm(self, wake: Callable[[], None]) -> None:
        """SIGTERM sets ``stop`` and calls ``wake`` so a sleeping round notices at once."""

        def on_term(_signum: int, _frame: FrameType | None) -> None:
            self.stop.set()
            wake()

        signal.signal(signal.SIGTERM, on_term)

    def close(self) -> None:
        self.client.close()
        self.engine.dispose()


def start(args: argparse.Namespace, what: str, hint: str = "") -> Standalone | None:
    """The process's collaborators from ``args`` and the bot's settings; None (said on
    stderr) when an approver user group is set."""
    settings = Settings()
    if settings.approver_usergroup:
        print(
            f"a stand-alone {what} cannot resolve OFFBOARD_APPROVER_USERGROUP{hint}",
            file=sys.stderr,
        )
        return None
    return Standalone(
        owner=args.owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
        engine=make_engine(args.database_url),
        client=make_cloud_client(args.endpoint),
        rules=ApprovalRules.from_settings(settings, clock=utcnow),
    )


__all__ = ["Standalone", "parser", "start", "utcnow"]

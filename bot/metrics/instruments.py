"""The instruments of one process and the registry ``/metrics`` answers from.

prometheus-client is imported when a :class:`Metrics` is built, not when this module is
imported: verbs that never serve (``call``, ``audit``, ``totp``) do not load it, and
``serve`` can choose multiprocess mode first (the library decides how values are stored
when it is first imported, from ``PROMETHEUS_MULTIPROC_DIR``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.metrics.collector import DatabaseCollector
from storage.repository.stats import Stats

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# Per attempt, from sending to the answer: most answers take tens to hundreds of ms; the
# client's timeout is 10 s and a slow DeleteAccount check can take seconds.
CLOUD_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Slack waits 3 s for an ack; the bot's acks take milliseconds (bench/ack.py).
ACK_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)


class Recorder(Protocol):
    """What the rest of the bot records into: :class:`Metrics` or :class:`NoMetrics`."""

    def cloud_call(self, action: str, code: str, seconds: float) -> None: ...

    def ack(self, kind: str, seconds: float) -> None: ...

    def wsgi(self) -> WSGIApplication | None: ...


class NoMetrics:
    """Records nothing; ``/metrics`` is not served (404)."""

    def cloud_call(self, action: str, code: str, seconds: float) -> None:
        return None

    def ack(self, kind: str, seconds: float) -> None:
        return None

    def wsgi(self) -> WSGIApplication | None:
        return None


class Metrics:
    """This process's histograms and the scrape registry (the database collector, plus the
    histograms: directly, or through the multiprocess files of every process).

    ``stats`` is :meth:`Repository.stats`; ``clock`` ages the oldest pending request.
    """

    def __init__(self, stats: Callable[[], Stats], clock: Callable[[], datetime]) -> None:
        from prometheus_client import CollectorRegistry, Histogram
        from prometheus_client.multiprocess import MultiProcessCollector

        shared = os.environ.get(MULTIPROC_VARIABLE)
        self.registry = CollectorRegistry()
        # In multiprocess mode the histograms live in files; the collector reads those of
        # every process, so registering them here too would count them twice.
        own = None if shared else self.registry
        self._cloud = Histogram(
            "offboard_cloud_call_duration_seconds",
            "Signed cloud API calls, per attempt, by action and result code",
            ["action", "code"],
            buckets=CLOUD_BUCKETS,
            registry=own,
        )
        self._ack = Histogram(
            "offboard_ack_duration_seconds",
            "Time from a Slack request reaching the app to its ack, by payload kind",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=own,
        )
        if shared:
            MultiProcessCollector(self.registry, path=shared)  # type: ignore[no-untyped-call]
        self.registry.register(DatabaseCollector(stats, clock))

    def cloud_call(self, action: str, code: str, seconds: float) -> None:
        self._cloud.labels(action=action, code=code).observe(seconds)

    def ack(self, kind: str, seconds: float) -> None:
        self._ack.labels(kind=kind).observe(seconds)

    def wsgi(self) -> WSGIApplication:
        """prometheus-client's WSGI app over the registry (text format; OpenMetrics and
        gzip when the scraper asks for them)."""
        from prometheus_client import make_wsgi_app

        app: WSGIApplication = make_wsgi_app(self.registry)
        return app


@contextmanager
def multiprocess_dir() -> Iterator[str]:
    """Multiprocess mode for this process and the processes it starts.

    Uses ``PROMETHEUS_MULTIPROC_DIR`` when the operator set it (emptied first: the
    library asks for a wiped directory per run), else a private temporary directory that
    is removed afterwards. Must run before prometheus-client is imported.
    """
    if "prometheus_client.values" in sys.modules and not os.environ.get(MULTIPROC_VARIABLE):
        raise RuntimeError("prometheus-client was imported before multiprocess mode was chosen")
    given = os.environ.get(MULTIPROC_VARIABLE)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield given
        return
    path = tempfile.mkdtemp(prefix="offboard-metrics-")
    os.environ[MULTIPROC_VARIABLE] = path
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROC_VARIABLE, None)
        shutil.rmtree(path, ignore_errors=True)

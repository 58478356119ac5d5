"""The metrics that reflect the database, computed from it at each scrape.

Decisions, finished executions and take-overs are counters (``_total``): their rows are
never deleted, so the counts only grow, and every replica reports the same value. Sum
them across replicas with ``max`` (or scrape one), not ``sum``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from storage.repository.stats import Stats
from storage.states import Status

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

log = structlog.get_logger(__name__)


class DatabaseCollector:
    """A prometheus-client collector over :meth:`Repository.stats`.

    When the database does not answer, the scrape still succeeds with
    ``offboard_database_up 0`` (and the process's own instruments), so an alert can say
    why the other series stopped.
    """

    def __init__(self, stats: Callable[[], Stats], clock: Callable[[], datetime]) -> None:
        self._stats = stats
        self._clock = clock

    def describe(self) -> list[Metric]:
        # Registering must not query the database; names are fixed and unique here.
        return []

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        up = GaugeMetricFamily("offboard_database_up", "1 when the database answered this scrape")
        try:
            stats = self._stats()
        except Exception:  # any database failure: the scrape says so instead of failing
            log.warning("metrics_database_unavailable", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        requests = GaugeMetricFamily(
            "offboard_requests", "Requests by operation and state", labels=["operation", "state"]
        )
        for (operation, state), count in sorted(stats.requests.items()):
            requests.add_metric([operation, state], count)
        yield requests
        decisions = CounterMetricFamily(
            "offboard_decisions", "Approve and reject decisions recorded", labels=["vote"]
        )
        for vote, count in sorted(stats.decisions.items()):
            decisions.add_metric([vote], count)
        yield decisions
        executions = CounterMetricFamily(
            "offboard_executions",
            "Finished executions by operation and outcome",
            labels=["operation", "outcome"],
        )
        for (operation, outcome), count in sorted(stats.executions.items()):
            executions.add_metric([operation, outcome], count)
        yield executions
        yield CounterMetricFamily(
            "offboard_lease_takeovers",
            "Executions taken over from a worker whose lease ran out",
            value=stats.takeovers,
        )
        yield from self._waiting(stats)

    def _waiting(self, stats: Stats) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        backlog = GaugeMetricFamily(
            "offboard_outbox_backlog", "Announcements not yet delivered to Slack", labels=["kind"]
        )
        for kind, count in sorted(stats.outbox_backlog.items()):
            backlog.add_metric([kind], count)
        yield backlog
        age = 0.0
        if stats.oldest_pending is not None:
            age = max(0.0, (self._clock() - stats.oldest_pending).total_seconds())
        yield GaugeMetricFamily(
            "offboard_oldest_pending_request_age_seconds",
            f"Age of the oldest {Status.PENDING} request (0 when none waits)",
            value=age,
        )

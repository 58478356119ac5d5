"""Prometheus metrics: what ``GET /metrics`` answers (the official ``prometheus-client``).

Two sources, each where it can be right:

- **the database**, read at scrape time (:mod:`bot.metrics.collector`): requests by
  operation and state, decisions, finished executions by outcome, lease take-overs, the
  outbox backlog and the oldest pending request's age. Every replica and both processes
  of one ``serve`` read the same tables, so they agree; nothing is lost when a process
  restarts.
- **instruments in the processes** (:mod:`bot.metrics.instruments`): how long cloud calls
  take (in the work process, where the worker calls) and how long acks take (in the ack
  process). ``serve`` runs two processes but only the ack process answers HTTP, so the
  instruments use prometheus-client's multiprocess mode: each process writes its samples
  to files in one directory (``PROMETHEUS_MULTIPROC_DIR``, a private temporary directory
  unless the operator sets one) and the scrape sums them, a restarted work process's
  counts included.

Nothing in the output is secret: ids of operations, states, votes, outcomes and cloud
error codes, never parameters, people, tokens or keys.
"""

from bot.metrics.instruments import Metrics, NoMetrics, Recorder, multiprocess_dir

__all__ = ["Metrics", "NoMetrics", "Recorder", "multiprocess_dir"]

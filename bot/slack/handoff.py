"""The ack process's side of the split: hand lazy work to the work process, keep it alive.

``offboard-bot serve`` runs two processes. The one that answers Slack checks signatures,
runs the ack functions (parse, pure validation, ``ack()``) and nothing else: Bolt hands
each lazy function to ``app.listener_runner.lazy_listener_runner``, which here is a
:class:`HandoffRunner`. It puts a :class:`~bot.slack.jobs.Job` on :class:`WorkProcess`'s
queue and returns; a sender thread writes it to a socket pair shared with ``python -m
bot.slack.work_process``, which runs it (and the worker and the announcer). The ack's
thread never waits for the work, the socket, or the other process.

Jobs are not lost silently. The ack process keeps each job until the work process reports
it done. When the work process dies it is started again, and:

- a job it had not started is sent to the new one (nothing of it ran);
- a job it had started is *not* run again: it may have half-happened (a request stored,
  its card not yet posted), and a second run could file it twice. The new work process
  tells the person that their last action may not have finished instead. Slack does not
  retry a slash command or an interaction, so that message is all they get; a modal that
  was about to open will not open (its ``trigger_id`` lives 3 s).

If the ack process itself dies, the jobs it still held are lost with it (their acks had
already gone to Slack); the work process finishes what it had received, then exits.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection

import structlog
from slack_bolt import App
from slack_bolt.lazy_listener import LazyListenerRunner
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.request import BoltRequest
from slack_bolt.util.utils import get_name_for_callable

from bot.errors import WorkProcessError as WorkProcessError
from bot.slack.jobs import Job, decode, encode

log = structlog.get_logger(__name__)

# After a work process died before it was ready, wait this long (doubling) to restart.
_FIRST_BACKOFF, _MAX_BACKOFF = 0.5, 30.0


def install(app: App, work: WorkProcess) -> None:
    """Make ``app`` hand every lazy function to ``work`` instead of running it.

    Call it after every ``app.error`` handler is registered (the runner copies them).
    """
    app._listener_runner = HandoffListenerRunner(app.listener_runner, work)  # no setter


class HandoffListenerRunner(ThreadListenerRunner):
    """Bolt's listener runner, handing each lazy function to the work process as it is.

    Before it gives a lazy function to its :class:`LazyListenerRunner`, Bolt deep-copies
    the whole request (context, Web API client and all) so that another thread may use
    it later: some 0.3 ms of CPU on the ack's path per request. A job needs only the raw
    body, the headers and the function's name, so this skips the copy. Should a Bolt
    release stop calling ``_start_lazy_function``, its own path still ends in
    :class:`HandoffRunner`: the copy comes back, the hand-over stays.
    """

    def __init__(self, base: ThreadListenerRunner, work: WorkProcess) -> None:
        super().__init__(
            logger=base.logger,
            process_before_response=base.process_before_response,
            listener_error_handler=base.listener_error_handler,
            listener_start_handler=base.listener_start_handler,
            listener_completion_handler=base.listener_completion_handler,
            listener_executor=base.listener_executor,
            lazy_listener_runner=HandoffRunner(work, base.logger),
        )
        self.work = work

    def _start_lazy_function(self, lazy_func: Callable[..., None], request: BoltRequest) -> None:
        self.work.submit(Job.of(request, get_name_for_callable(lazy_func)))


class HandoffRunner(LazyListenerRunner):
    """Bolt's lazy listener runner for the ack process: every lazy call becomes a job."""

    def __init__(self, work: WorkProcess, logger: logging.Logger) -> None:
        self.work = work
        self.logger = logger

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        # Bolt set lazy_function_name on this copy of the request: the name it will look
        # up again when the work process dispatches the job lazy-only.
        self.work.submit(Job.of(request, str(request.lazy_function_name)))

    def run(self, function: Callable[..., None], request: BoltRequest) -> None:
        # Bolt calls run() only for a request that arrived lazy-only; the app refuses
        # those before any listener (bot.slack.app), so reaching here is a bug.
        raise RuntimeError("the ack process never runs lazy work itself")


class WorkProcess:
    """``python -m bot.slack.work_process`` under supervision.

    ``env`` is the child's whole environment (default: this process's); its settings
    and secrets travel there, never on its command line. ``metrics=False`` keeps it from
    recording metrics (``bench/rss.py``'s baseline).
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        log_level: str = "INFO",
        threads: int = 8,
        metrics: bool = True,
    ) -> None:
        self._env = dict(env) if env is not None else None
        self._args = ["--log-level", log_level, "--threads", str(threads)]
        if not metrics:
            self._args.append("--no-metrics")
        self._lock = threading.Condition()
        self._jobs: dict[int, Job] = {}  # handed over, not yet reported done
        self._started: set[int] = set()
        self._sent: dict[int, int] = {}  # job id -> the generation it was sent to
        self._next_id = 0
        self._generation = 0
        self._outbox: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._supervisor = threading.Thread(target=self._supervise, name="work-supervisor")
        self._sender = threading.Thread(target=self._send, name="work-sender")

    @property
    def pid(self) -> int | None:
        """The current work process's id (tests kill it)."""
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float = 60.0) -> None:
        """Start the work process; return once it is ready for jobs.

        Raises :class:`WorkProcessError` if it exits or is not ready within ``timeout``
        (a setting it cannot work with: it logs why). Later deaths are restarts.
        """
        self._spawn()
        self._supervisor.daemon = self._sender.daemon = True
        self._supervisor.start()
        self._sender.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if not self._supervisor.is_alive() or time.monotonic() > deadline:
                self.stop(timeout=1.0)
                raise WorkProcessError("the work process did not start (its log says why)")

    def wait_ready(self, timeout: float) -> bool:
        """True once the current work process has said it is ready."""
        return self._ready.wait(timeout)

    def submit(self, job: Job) -> None:
        """Queue ``job``; never blocks (the ack's thread calls this)."""
        with self._lock:
            job_id = self._next_id = self._next_id + 1
            self._jobs[job_id] = job
        self._outbox.put(job_id)

    def wait_idle(self, timeout: float) -> bool:
        """True once every job handed over so far is done."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._jobs, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Let the work process finish the jobs it has, then stop it (killed after timeout)."""
        self._stopping.set()
        self._outbox.put(None)  # behind every job queued so far; then "stop" to the child
        if self._sender.is_alive():
            self._sender.join(timeout)
        self._end(self._proc, timeout)
        if self._supervisor.is_alive():
            self._supervisor.join(timeout)
        self._end(self._proc, 0)  # one the supervisor was starting as we stopped
        with self._lock:
            if self._jobs:
                log.error("work_jobs_unfinished", count=len(self._jobs))
        if self._conn is not None:
            self._conn.close()

    @staticmethod
    def _end(proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("work_process_killed", pid=proc.pid, timeout=timeout)
            proc.kill()
            proc.wait()

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", "bot.slack.work_process", "--fd", str(theirs.fileno())]
        self._ready.clear()
        proc = subprocess.Popen(  # noqa: S603 - our own module, no input from outside
            [*command, *self._args], env=self._env, pass_fds=[theirs.fileno()]
        )
        theirs.close()  # else our end would never see the child's end close
        with self._lock:
            old = self._conn
            self._proc, self._conn = proc, Connection(ours.detach())
            self._generation += 1
        if old is not None:
            old.close()
        log.info("work_process_started", pid=proc.pid)

    def _supervise(self) -> None:
        """Read the work process's reports; when it dies, start another (with backoff)."""
        backoff, ever_ready = _FIRST_BACKOFF, False
        while True:
            assert self._conn is not None and self._proc is not None
            self._read(self._conn)
            code = self._proc.wait()
            if self._stopping.is_set():
                return
            log.error("work_process_died", pid=self._proc.pid, exit_code=code)
            if self._ready.is_set():
                backoff, ever_ready = _FIRST_BACKOFF, True
            else:
                # It died starting up: the first one is start()'s to report; after that
                # (Slack or the database away for a while), back off instead of spinning.
                if not ever_ready or self._stopping.wait(backoff):
                    return
                backoff = min(2 * backoff, _MAX_BACKOFF)
            self._set_aside_interrupted()
            self._spawn()
            with self._lock:
                pending = sorted(self._jobs)
            for job_id in pending:
                self._outbox.put(job_id)

    def _read(self, conn: Connection) -> None:
        while True:
            try:
                message = decode(conn.recv_bytes())
            except (EOFError, OSError):
                return
            with self._lock:
                if "started" in message:
                    self._started.add(message["started"])
                elif "done" in message:
                    job_id = message["done"]
                    self._jobs.pop(job_id, None)
                    self._started.discard(job_id)
                    self._sent.pop(job_id, None)
                    self._lock.notify_all()
                elif "ready" in message:
                    self._ready.set()

    def _set_aside_interrupted(self) -> None:
        """Jobs the dead process had started become notices; the others are sent again."""
        with self._lock:
            if self._started:
                log.error("work_jobs_interrupted", count=len(self._started))
            for job_id in self._started:
                job = self._jobs[job_id]
                if job.interrupted:  # a notice that died with it: do not loop on it
                    del self._jobs[job_id]
                else:
                    self._jobs[job_id] = job.stopped()
            self._started.clear()

    def _send(self) -> None:
        """Write queued jobs to the current work process in order, each once per process."""
        while (job_id := self._outbox.get()) is not None:
            with self._lock:
                job, conn, generation = self._jobs.get(job_id), self._conn, self._generation
                if job is None or conn is None or job_id in self._started:
                    continue
                if self._sent.get(job_id) == generation:
                    continue
                self._sent[job_id] = generation
            # If it died, the restart sends again whatever it never started.
            with contextlib.suppress(OSError):
                conn.send_bytes(encode({"id": job_id, "job": job}))
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send_bytes(encode({"stop": True}))

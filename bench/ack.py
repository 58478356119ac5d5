"""How fast the bot acks Slack, compared with a bare Bolt app, and how fast it executes.

Everything on loopback (processes in `bench/ack_stack.py`): the sandbox cloud in this
process; the Slack Web API stand-in, ``offboard-bot serve --http`` (the real bot on a
temporary SQLite: the ack process and its work process) and a bare Bolt app that only
acks, each in a subprocess. 20 concurrent clients send Slack-signed slash commands
(``/offboard DeleteAccount AccountId=…``, which opens the modal after the ack) and button
clicks (approvals of pending requests, and refused clicks by a non-approver) to each, in
alternating rounds (bare, bot, bare, bot ...), each round starting once the bot has
finished the previous round's work. Then final approvals are clicked one at a time and
the time until the signed call reaches the sandbox is measured.

Goals: bot/bare p99 ratio <= 1.1 and p99 <= 50 ms for acks; p50 <= 150 ms from the final
approval click to the signed call at the sandbox. Also printed: the machine's load, and
how long after it was sent each slash command's modal opened (the work process's
``views.open``; Slack's ``trigger_id`` lives 3 s).

    .venv/bin/python bench/ack.py [--clients 20] [--per-client 25] [--rounds 4]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ack_stack import (
    SECRET,
    Prepared,
    Preparer,
    StandIn,
    bot_environment,
    create_requests,
    settle,
    spawn_bare,
    spawn_bot,
)

from bot.devstack.local_stack import APPROVAL_CHANNEL, APPROVERS, OUTSIDER, REQUESTER
from bot.devstack.payloads import Person, SlackSigner
from bot.devstack.standin import STANDIN_BOT_TOKEN
from commands.sandbox import Sandbox, demo_world
from storage.migrate import upgrade

Sample = tuple[bytes, float, float]  # body, sent at (epoch seconds), seconds to the answer


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load(clients: int, requests: list[Prepared], url: str, think: float) -> list[Sample]:
    """Send pre-signed ``requests`` over ``clients`` keep-alive connections.

    Each client waits ``think`` seconds (0.5x to 1.5x, at random) between its requests;
    0 makes it a closed loop that saturates the two cores (a throughput test).
    """
    pause = random.Random(7)
    where = urlsplit(url)
    lanes = [requests[i::clients] for i in range(clients)]

    def run(lane: int) -> list[Sample]:
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
        connection.request("GET", "/healthz")  # warm the connection
        connection.getresponse().read()
        samples = []
        for body, headers in lanes[lane]:
            sent, started = time.time(), time.perf_counter()
            connection.request("POST", "/slack/events", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            samples.append((body, sent, time.perf_counter() - started))
            assert response.status == 200, response.status
            if think:
                time.sleep(think * (0.5 + pause.random()))
        connection.close()
        return samples

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(run, range(clients)))
    return [s for lane in results for s in lane]


def report(name: str, bot: list[Sample], bare: list[Sample]) -> None:
    b50, b99 = (percentile([s[2] for s in bot], q) * 1000 for q in (0.5, 0.99))
    r50, r99 = (percentile([s[2] for s in bare], q) * 1000 for q in (0.5, 0.99))
    ratio = b99 / r99 if r99 else float("inf")
    verdict = "meets" if b99 <= 50 and ratio <= 1.1 else "MISSES"
    print(
        f"{name:<16} bot p50 {b50:6.1f} ms p99 {b99:6.1f} ms | bare Bolt p50 {r50:6.1f} ms "
        f"p99 {r99:6.1f} ms | p99 ratio {ratio:4.2f} ({verdict} ratio<=1.1, p99<=50 ms) "
        f"n={len(bot)}"
    )


def report_modals(bot: list[Sample], standin: StandIn, patience: float = 10.0) -> None:
    """From sending each slash command to its ``views.open`` at the stand-in.

    Waits for the modals still to come until none has come for ``patience`` seconds.
    """
    triggers = [parse_qs(body.decode())["trigger_id"][0] for body, _, _ in bot]
    opened, since = standin.opened(), time.monotonic()
    while any(t not in opened for t in triggers) and time.monotonic() - since < patience:
        time.sleep(0.2)
        latest = standin.opened()
        if len(latest) != len(opened):
            opened, since = latest, time.monotonic()
    waits = [opened[t] - sent for t, (_, sent, _) in zip(triggers, bot, strict=True) if t in opened]
    late = sum(1 for w in waits if w > 3.0) + len(bot) - len(waits)
    print(
        f"{'  modal opened':<16} p50 {percentile(waits, 0.5) * 1000:6.1f} ms p99 "
        f"{percentile(waits, 0.99) * 1000:6.1f} ms max {max(waits) * 1000:6.1f} ms after "
        f"the command; {late} of {len(bot)} later than 3 s or not at all"
    )


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=4, help="alternating bare/bot rounds")
    parser.add_argument("--executions", type=int, default=20)
    parser.add_argument(
        "--think-ms", type=float, default=50.0, help="pause between a client's requests"
    )
    args = parser.parse_args()
    total = args.clients * args.per_client

    sandbox = Sandbox(demo_world(deletion_seconds=0.2))
    sandbox.start()
    standin = StandIn()
    api_url = f"{standin.url}/api/"
    procs = [standin.proc]
    with tempfile.TemporaryDirectory(prefix="offboard-bench-") as workdir:
        db = f"sqlite:///{Path(workdir) / 'bench.db'}"
        upgrade(db)
        try:
            bot_proc, bot_url = spawn_bot(bot_environment(api_url, sandbox.base_url, db))
            procs.append(bot_proc)
            bare_proc, bare_url = spawn_bare(api_url, STANDIN_BOT_TOKEN)
            procs.append(bare_proc)
            print(
                f"bot {bot_url} (offboard-bot serve --http) · bare Bolt {bare_url} · "
                f"{args.clients} clients · {total} requests per kind and app · "
                f"{os.cpu_count()} CPUs, load average {loadavg()}"
            )
            pending = create_requests(bot_url, total // 5 + args.executions, db)
            loaded, final = pending[: total // 5], pending[total // 5 :]
            quiet = [bot_proc.pid, standin.proc.pid]
            for think in (args.think_ms / 1000, 0.0):
                mode = f"each client pausing ~{think * 1000:.0f} ms" if think else "closed loop"
                print(f"-- {args.clients} concurrent clients, {mode}")
                urls = (bare_url, bot_url)
                _acks(args, urls, loaded, think, standin, quiet)
            # Let the lazy work drain so the next figure is execution latency, not backlog.
            settle(quiet)
            _executions(bot_url, final, sandbox)
            print(f"load average at the end {loadavg()}")
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(10)
    sandbox.stop()
    return 0


def _acks(
    args: argparse.Namespace,
    urls: tuple[str, str],
    loaded: list[str],
    think: float,
    standin: StandIn,
    quiet: list[int],
) -> None:
    """Slash commands, then clicks: bare and bot in alternating rounds, each after a lull."""
    total = args.clients * args.per_client
    for name, build in (("slash command", _slash), ("button click", _clicks)):
        for url in urls:  # warm up: first calls import and cache
            load(args.clients, build(loaded, 2 * args.clients), url, 0.0)
        bare: list[Sample] = []
        bot: list[Sample] = []
        for _ in range(args.rounds):
            for url, samples in zip(urls, (bare, bot), strict=True):
                settle(quiet)
                samples += load(args.clients, build(loaded, total // args.rounds), url, think)
        report(name, bot, bare)
        if build is _slash:
            report_modals(bot, standin)


def _slash(_requests: list[str], total: int) -> list[Prepared]:
    """``/offboard DeleteAccount AccountId=…``: ack, then the filled modal opens."""
    preparer = Preparer()
    for _ in range(total):
        preparer.slash_command(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    return preparer.prepared


def _clicks(requests: list[str], total: int) -> list[Prepared]:
    """A first approval on each request, the rest refused clicks (a non-approver)."""
    preparer = Preparer()
    for i in range(total):
        person: Person = APPROVERS[0] if i < len(requests) else OUTSIDER
        request_id = requests[i % len(requests)]
        preparer.click(person, "approve", request_id, channel=APPROVAL_CHANNEL, message_ts="1.1")
    return preparer.prepared


def _executions(url: str, requests: list[str], sandbox: Sandbox) -> None:
    """Final approval click -> the signed DeleteAccount at the sandbox, one at a time."""
    signer = SlackSigner(SECRET, f"{url}/slack/events")
    bob, carol = APPROVERS
    samples = []
    for request_id in requests:
        signer.click(bob, "approve", request_id, channel=APPROVAL_CHANNEL, message_ts="1.1")
        before = sandbox.count("DeleteAccount")
        clicked = time.time()
        signer.click(carol, "approve", request_id, channel=APPROVAL_CHANNEL, message_ts="1.1")
        deadline = time.monotonic() + 10
        while sandbox.count("DeleteAccount") == before and time.monotonic() < deadline:
            time.sleep(0.001)
        arrived = [c for c in sandbox.calls if c.action == "DeleteAccount"][before:]
        if arrived:
            samples.append(arrived[0].at.timestamp() - clicked)
    signer.close()
    if not samples:
        print("final approval -> signed call: no call arrived")
        return
    p50 = percentile(samples, 0.5) * 1000
    verdict = "meets" if p50 <= 150 else "MISSES"
    print(
        f"final approval -> signed call at the sandbox: p50 {p50:6.1f} ms "
        f"p99 {percentile(samples, 0.99) * 1000:6.1f} ms ({verdict} p50<=150 ms) n={len(samples)}"
    )


if __name__ == "__main__":
    sys.exit(main())

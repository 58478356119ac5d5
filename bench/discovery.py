"""A member plan's discovery time: concurrent reads against the same reads one by one.

    .venv/bin/python bench/discovery.py [--delay 0.08] [--workers 8] [--rounds 3]

Both are measured in this one run, against one in-process sandbox cloud over signed HTTP,
for the sandbox's leaver (1734100000000001: two delegated services, a finance relation,
two bastion users holding 13 hosts): 22 reads. "One by one" is ``discover`` with one
worker, which makes exactly the same reads in dependency order
(tests/commands/member_plan/test_discovery.py proves the two make the same reads and find
the same thing).

The sandbox holds every answer back by ``--delay`` seconds (default 80 ms), because on
127.0.0.1 it answers in about a millisecond: without a delay the ratio would measure
thread hand-offs, not the waiting on the network that concurrency removes. 80 ms is the
order of one signed HTTPS round trip to a public Alibaba Cloud endpoint from another
region. Rounds alternate the two; each side's median counts. Always exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import time

from commands.client import CloudClient
from commands.credentials import StaticCredentialsProvider
from commands.member_plan import CheckPoll, CloudReader, Discovery, discover, parse_bastion_users
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Sandbox
from commands.sandbox.seed_plan import LEAVER_MEMBER

USERS = parse_bastion_users(
    "cn-hangzhou bastionhost-cn-st220aw0001 3\ncn-shanghai bastionhost-cn-sh9000aw0002 2"
)
READS = (
    "GetResourceDirectory",
    "GetAccount",
    "ListDelegatedServicesForAccount",
    "GetPayerForAccount",
    "QueryRelationList",
    "CheckAccountDelete",
    "GetAccountDeletionCheckResult",
    "ListHostsForUser",
    "ListHostAccountsForUser",
)


def one_round(
    sandbox: Sandbox, client: CloudClient, workers: int, delay: float
) -> tuple[float, Discovery]:
    sandbox.reset()  # the same world every round (reset also forgets the delays)
    for action in READS:
        sandbox.delay(action, delay)
    started = time.perf_counter()
    found = discover(CloudReader(client), LEAVER_MEMBER, USERS, workers=workers, poll=CheckPoll())
    return time.perf_counter() - started, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.08)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[int, list[float]] = {args.workers: [], 1: []}
    found: dict[int, Discovery] = {}
    with (
        Sandbox() as sandbox,
        CloudClient(
            StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET),
            endpoint_override=sandbox.base_url,
        ) as client,
    ):
        for _ in range(args.rounds):
            for workers in (args.workers, 1):
                seconds, found[workers] = one_round(sandbox, client, workers, args.delay)
                times[workers].append(seconds)
    concurrent, sequential = (statistics.median(times[w]) for w in (args.workers, 1))
    same = found[args.workers] == found[1] and not found[1].failures
    each = f"{args.delay * 1000:.0f} ms each"
    print(f"discovery of member {LEAVER_MEMBER}: {found[1].reads} reads, {each}")
    print(f"{'reads':<28}{'median s':>10}")
    print(f"{f'concurrent ({args.workers} workers)':<28}{concurrent:>10.3f}")
    print(f"{'one after another':<28}{sequential:>10.3f}")
    print(f"ratio (one after another / concurrent): {sequential / concurrent:.1f}x")
    print("same discovery both ways: " + ("yes" if same else "NO"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

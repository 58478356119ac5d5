"""Signatures per second: our ACS3-HMAC-SHA256 signer against the official util.

Both sign the same request (a DeleteAccount call with an STS token) from the same plain
inputs: the query parameters, the headers, the payload hash, the AccessKey pair. Each
side runs in alternating rounds in this one process; the best round counts. Prints both
rates and their ratio (ours / official); the goal is a ratio of at least 1.0.

    .venv/bin/python bench/sign.py [--seconds 0.5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from types import SimpleNamespace

from alibabacloud_openapi_util.client import Client as OfficialUtil

from commands import signing

KEY_ID, SECRET = "LTAI5tBenchKey", "bench-secret-value"
QUERY = {
    "AccountId": "1699461245510000",
    "AbandonableCheckId": '["NON_SP_cs","NON_SP_ecs"]',
}
PAYLOAD_HASH = signing.hashed_payload(b"")
HEADERS = {
    "host": "resourcemanager.aliyuncs.com",
    "x-acs-action": "DeleteAccount",
    "x-acs-version": "2020-03-31",
    "x-acs-date": "2026-11-23T09:00:00Z",
    "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
    "x-acs-content-sha256": PAYLOAD_HASH,
    "x-acs-security-token": "CAIS-bench-sts-token",
}


def ours() -> str:
    block, signed = signing.canonical_headers(HEADERS)
    request = signing.canonical_request(
        "POST", "/", signing.canonical_query(QUERY), block, signed, PAYLOAD_HASH
    )
    sts = signing.string_to_sign(request)
    return signing.authorization(KEY_ID, signed, signing.signature(SECRET, sts))


_OFFICIAL_REQUEST = SimpleNamespace(pathname="/", query=QUERY, headers=HEADERS, method="POST")


def official() -> str:
    return str(
        OfficialUtil.get_authorization(
            _OFFICIAL_REQUEST, "ACS3-HMAC-SHA256", PAYLOAD_HASH, KEY_ID, SECRET
        )
    )


def rate(sign: Callable[[], str], seconds: float) -> float:
    """Signatures per second over about ``seconds``."""
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            sign()
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per signer")
    args = parser.parse_args()
    if ours() != official():
        raise SystemExit("the two signers disagree on the benchmark request")
    best = {"ours": 0.0, "official": 0.0}
    for _ in range(args.rounds):
        best["ours"] = max(best["ours"], rate(ours, args.seconds))
        best["official"] = max(best["official"], rate(official, args.seconds))
    print(f"ours:     {best['ours']:>10,.0f} signatures/s")
    print(f"official: {best['official']:>10,.0f} signatures/s")
    print(f"ratio:    {best['ours'] / best['official']:.2f}x (ours / official)")


if __name__ == "__main__":
    main()

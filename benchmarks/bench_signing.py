"""Micro-benchmark of request signing (spec §3; performance.md: REST GET signing ≈ 4.5 µs).

Run: ``.venv/bin/python benchmarks/bench_signing.py [--repeat N] [--number N]``.
Prints one JSON object: median and spread (min/max) in µs per call for a GET sign (3 params,
hand-built sorted query), a GET sign needing percent-encoding, a POST sign (order/create body),
the WS login param, and a naive reference (``urllib.parse.urlencode`` + fresh ``hmac.new``).
Candidates are interleaved so machine noise hits all alike.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from urllib.parse import urlencode

from mexc_futures.protocol.signing import Signer

API_KEY = "mx0vglTESTaccessKEY01"  # pragma: allowlist secret
# dummy secret of vectors/signing.json
SECRET = "0123456789abcdef0123456789abcdef"  # pragma: allowlist secret
REQUEST_TIME = "1700000000000"
GET_PARAMS = {"symbol": "BTC_USDT", "page_num": 1, "page_size": 20}
GET_ENCODED = {"symbol": "BTC_USDT", "states": "3,4", "page_num": 1, "page_size": 100}
POST_BODY = (
    b'{"symbol":"BTC_USDT","price":100000,"vol":1,"leverage":20,"side":1,"type":1,'
    b'"openType":2,"externalOid":"cli-0001"}'
)


def _naive_get() -> str:
    query = urlencode(sorted(GET_PARAMS.items()))
    target = f"{API_KEY}{REQUEST_TIME}{query}".encode()
    return hmac.new(SECRET.encode(), target, hashlib.sha256).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=50_000)
    args = parser.parse_args()

    signer = Signer(API_KEY, SECRET)
    cases: dict[str, Callable[[], object]] = {
        "get_sign_us": lambda: signer.sign_get(REQUEST_TIME, GET_PARAMS),
        "get_sign_encoded_us": lambda: signer.sign_get(REQUEST_TIME, GET_ENCODED),
        "post_sign_us": lambda: signer.sign_post(REQUEST_TIME, POST_BODY),
        "ws_login_us": lambda: signer.ws_login(REQUEST_TIME),
        "naive_get_sign_us": _naive_get,
    }
    for fn in cases.values():  # warm up
        for _ in range(1000):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeat):
        for name, fn in cases.items():
            seconds = timeit.timeit(fn, number=args.number)
            samples[name].append(seconds / args.number * 1e6)
    result: dict[str, object] = {
        "benchmark": "signing",
        "python": platform.python_version(),
        "repeat": args.repeat,
        "number": args.number,
    }
    for name, values in samples.items():
        result[name] = {
            "median": round(statistics.median(values), 3),
            "min": round(min(values), 3),
            "max": round(max(values), 3),
        }
    naive = statistics.median(samples["naive_get_sign_us"])
    result["get_speedup_vs_naive"] = round(naive / statistics.median(samples["get_sign_us"]), 2)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

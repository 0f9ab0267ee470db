"""Decode cost per WebSocket frame: ``mexc_futures.decode_frame`` vs stdlib ``json.loads``.

Run: ``.venv/bin/python benchmarks/bench_decode.py`` — prints one JSON object to stdout with
µs per frame (best of several repeats) for a ~200-byte ``push.depth`` (merged, 2 levels;
the 190-byte class), a
``push.deal`` (live array form) and a ``push.ticker`` (live fixture). Target for depth (design
performance.md): near the 0.81 µs msgspec floor.
"""

from __future__ import annotations

import json
import platform
import timeit

import msgspec

from mexc_futures import decode_frame

FRAMES = {
    "depth": (
        b'{"symbol":"BTC_USDT","data":{"cts":1789498405531,"asks":[[84062.6,60366,1]],'
        b'"bids":[[84062.5,34991,8]],"end":8752808003,"begin":8752807948,'
        b'"version":8752808003},"channel":"push.depth","ts":1789498405534}'
    ),
    "deal": (
        b'{"symbol":"BTC_USDT","data":[{"p":84062.6,"v":13,"T":1,"O":3,"M":1,"t":1790870038339,'
        b'"i":"16435741160","cts":"1790870038339"}],"channel":"push.deal","ts":1790870038339}'
    ),
    "ticker": (
        b'{"symbol":"BTC_USDT","data":{"symbol":"BTC_USDT","lastPrice":84055,"riseFallRate":-0.0005,'
        b'"fairPrice":84063.8,"indexPrice":84104,"volume24":311051901,"amount24":2606920596.04,'
        b'"maxBidPrice":92514.4,"minAskPrice":75693.6,"lower24Price":83136.6,"high24Price":84461.9,'
        b'"timestamp":1790870036854,"bid1":84054.9,"ask1":84055,"holdVol":546882118,'
        b'"riseFallValue":-47.2,"fundingRate":0.000072,"zone":"UTC+8","riseFallRates":[-0.0005,'
        b'0.0011,0.0701,0.365,0.2581,-0.2565],"riseFallRatesOfTimezone":[0.0035,0.0057,-0.0005]},'
        b'"channel":"push.ticker","ts":1790870036854}'
    ),
}


def _best_us(fn: object, raw: bytes, number: int = 100_000, repeat: int = 5) -> float:
    timer = timeit.Timer(lambda: fn(raw))  # type: ignore[operator]
    return round(min(timer.repeat(repeat=repeat, number=number)) / number * 1e6, 3)


def main() -> None:
    results: dict[str, object] = {}
    for name, raw in FRAMES.items():
        decode_frame(raw)  # warm up / validate
        results[name] = {
            "bytes": len(raw),
            "decode_frame_us": _best_us(decode_frame, raw),
            "stdlib_json_us": _best_us(json.loads, raw),
        }
    out = {
        "benchmark": "decode_frame",
        "python": platform.python_version(),
        "msgspec": msgspec.__version__,
        "frames": results,
        "target_depth_us": 0.81,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

"""The emulator's explicit latency model (issue #17): specs, seeded draws, pushes held in order
per connection, and entry/response delays on a real REST round trip in virtual time."""

from __future__ import annotations

import asyncio
import math
import random

import aiohttp
import pytest

from mexc_futures.backtest.lockstep import run
from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.latency import (
    Dist,
    Latency,
    LatencyModel,
    PushDelay,
    parse_dist,
)


def test_specs() -> None:
    assert parse_dist("20") == Dist("fixed", 20.0)
    assert parse_dist("2.5ms") == Dist("fixed", 2.5)
    assert parse_dist("uniform:10-30") == Dist("uniform", 10.0, 30.0)
    assert parse_dist("lognormal:20ms:0.5") == Dist("lognormal", 20.0, 0.5)
    m = LatencyModel.parse("entry=20ms,md=uniform:1-3", seed=4)
    assert (m.entry, m.response, m.md, m.seed) == (
        Dist("fixed", 20.0), Dist(), Dist("uniform", 1.0, 3.0), 4)
    assert LatencyModel.parse("5").response == Dist("fixed", 5.0)  # one value: all three
    assert LatencyModel.parse("0").zero
    assert LatencyModel.parse("market_data=7").md == Dist("fixed", 7.0)
    assert m.describe() == {"entry": "20 ms", "response": "0 ms",
                            "market_data": "uniform 1-3 ms", "seed": 4}
    for bad in ("fast", "uniform:30-10", "entry=20,wire=3", "entry:20"):
        with pytest.raises(ValueError, match="latency"):
            LatencyModel.parse(bad)


def test_draws_are_seeded_and_within_their_law() -> None:
    m = LatencyModel.parse("entry=uniform:10-30,response=lognormal:20:0.5,md=3", seed=9)
    a, b = Latency(m), Latency(m)
    xs = [a.draw_ms("entry") for _ in range(2000)]
    assert xs == [b.draw_ms("entry") for _ in range(2000)]  # same seed, same draws
    assert min(xs) >= 10
    assert max(xs) <= 30
    ys = sorted(a.draw_ms("response") for _ in range(2001))
    assert 18 < ys[1000] < 22  # the median
    assert a.draw_ms("md") == 3.0
    assert Latency(LatencyModel.parse("uniform:0-9", seed=10)).draw_ms("entry") != xs[0]


def test_pushes_keep_their_order_per_connection() -> None:
    """Random delays per push, yet no push overtakes an earlier one on its connection, and none
    leaves before its own draw."""
    got: list[tuple[int, bytes, float]] = []

    async def main() -> list[tuple[int, bytes, float, float]]:
        loop = asyncio.get_running_loop()
        lat = Latency(LatencyModel.parse("md=uniform:0-50", seed=3))
        delay = PushDelay(lat, lambda c, d, n: got.append((c, d, loop.time())))
        shadow = Latency(LatencyModel.parse("md=uniform:0-50", seed=3))  # the same draws
        sent = []
        for i in range(60):
            sent.append((i % 2, str(i).encode(), loop.time(), shadow.draw_ms("md")))
            delay.push(i % 2, str(i).encode(), 1)
            await asyncio.sleep(random.Random(i).uniform(0, 0.01))
        await asyncio.sleep(1)
        return sent

    sent = run(main())
    assert len(got) == 60
    for conn in (0, 1):
        assert [d for c, d, _ in got if c == conn] == [d for c, d, _, _ in sent if c == conn]
    at = {d: t for _, d, t in got}
    for _, d, t0, ms in sent:
        assert at[d] >= t0 + ms / 1000 - 1e-9


def test_entry_and_response_delay_a_real_rest_round_trip() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        out = []
        for spec in ("0", "entry=30ms,response=12ms"):
            async with (Emulator(symbols=["BTC_USDT"], latency=LatencyModel.parse(spec)) as ex,
                        aiohttp.ClientSession() as http):
                t0 = loop.time()
                async with http.get(ex.rest_url + "/api/v1/contract/ping") as r:
                    assert r.status == 200
                    await r.read()
                out.append(loop.time() - t0)
        return out[0], out[1]

    bare, delayed = run(main())
    assert bare == 0.0  # virtual time: the loopback costs nothing
    assert math.isclose(delayed, 0.042, abs_tol=1e-6)

"""Synthetic market of the emulator core: determinism, depth versions, klines, prices, catalogue."""

from __future__ import annotations

import itertools
import json

from mexc_futures.emulator.market.klines import INTERVALS, bar_open
from mexc_futures.emulator.venue.contracts import CATALOGUE_SIZE, build_contracts
from mexc_futures.emulator.venue.venue import Publication, Venue, VenueConfig
from tests.unit.emulator._emulator import START, call

SYMS = ("BTC_USDT", "ETH_USDT", "DOGE_USDT")


def _run(
    seed: int, seconds: float, step_ms: int = 50, **kw: object
) -> tuple[Venue, list[Publication]]:
    v = Venue(VenueConfig(seed=seed, symbols=SYMS, start_ms=START, flow_rate=40.0, **kw))  # type: ignore[arg-type]
    pubs: list[Publication] = []
    for i in range(1, int(seconds * 1000 / step_ms) + 1):
        pubs += v.advance(START + i * step_ms)
    return v, pubs


def test_catalogue() -> None:
    cs = build_contracts()
    assert CATALOGUE_SIZE >= 40
    assert {"BTC_USDT", "ETH_USDT", "DOGE_USDT"} <= set(cs)
    btc = cs["BTC_USDT"].detail()
    assert btc["contractSize"] == 0.0001
    assert btc["maxNumOrders"] == [200, 50]
    assert btc["apiAllowed"]
    assert cs["ETH_USDT"].contract_size == 0.01
    assert cs["DOGE_USDT"].price_scale == 5
    many = build_contracts(n_contracts=800, api_disallowed=("ETH_USDT",))
    assert len(many) == 800
    assert len({c.contract_id for c in many.values()}) == 800
    assert not many["ETH_USDT"].api_allowed
    for c in list(many.values())[-5:]:
        d = c.detail()
        assert d["priceUnit"] > 0
        assert c.is_tick_multiple(c.price(c.ticks(c.start_price)))


def test_deterministic_for_a_seed() -> None:
    _, a = _run(11, 3)
    _, b = _run(11, 3)
    _, c = _run(12, 3)
    dump = [json.dumps([p.topic, p.symbol, p.data], sort_keys=True) for p in a]
    assert dump == [json.dumps([p.topic, p.symbol, p.data], sort_keys=True) for p in b]
    assert dump != [json.dumps([p.topic, p.symbol, p.data], sort_keys=True) for p in c]


def test_depth_versions_contiguous_and_book_consistent() -> None:
    v, pubs = _run(5, 6)
    for sym in SYMS:
        single = [p.data for p in pubs if p.topic == "depth" and p.symbol == sym]
        merged = [p.data for p in pubs if p.topic == "depth.merged" and p.symbol == sym]
        versions = [d["version"] for d in single]
        assert len(versions) > 50
        assert versions == list(range(versions[0], versions[0] + len(versions)))
        assert merged[0]["begin"] == versions[0]
        for x, y in itertools.pairwise(merged):
            assert y["begin"] == x["end"] + 1
            assert x["version"] == x["end"]
        assert list(v.truth.depth_versions(sym)) == versions
        # replay the unmerged stream on top of the book at the first version - 1
        start = v.truth.book_at(sym, versions[0] - 1)
        book = {("b", p): s for p, s, _ in start["bids"]} | {
            ("a", p): s for p, s, _ in start["asks"]
        }
        for d in single:
            for side, key in (("b", "bids"), ("a", "asks")):
                for p, s, _ in d[key]:
                    if s == 0:
                        book.pop((side, p))
                    else:
                        book[(side, p)] = s
            bids = [p for (side, p) in book if side == "b"]
            asks = [p for (side, p) in book if side == "a"]
            assert max(bids) < min(asks), "crossed book published"
        now = v.truth.book_at(sym, versions[-1])
        assert book == (
            {("b", p): s for p, s, _ in now["bids"]} | {("a", p): s for p, s, _ in now["asks"]}
        )
        full = [p.data for p in pubs if p.topic == "depth.full" and p.symbol == sym][-1]
        at = v.truth.book_at(sym, full["version"])
        assert full["bids"] == at["bids"][:50]
        assert full["asks"] == at["asks"][:50]


def test_rest_snapshot_lag_and_commits() -> None:
    v, _ = _run(5, 2, rest_lag_versions=7)
    depth = call(
        v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": "ETH_USDT"}, account=None
    )
    current = v.truth.version("ETH_USDT")
    assert depth["version"] == current - 7
    assert depth["bids"] == v.truth.book_at("ETH_USDT", current - 7)["bids"][: len(depth["bids"])]
    commits = call(
        v,
        "GET",
        "/api/v1/contract/depth_commits/{symbol}/{limit}",
        path={"symbol": "ETH_USDT", "limit": "20"},
        account=None,
    )
    assert [c["version"] for c in commits] == list(range(current, current - 20, -1))


def test_reference_prices_and_ticker() -> None:
    v, pubs = _run(9, 4)
    c = v.contract("BTC_USDT")
    m = v.engine.markets["BTC_USDT"]
    band = c.price_coefficient_variation
    assert m.index_price * (1 - band) - 0.1 <= m.fair_price <= m.index_price * (1 + band) + 0.1
    ticks = [p.data for p in pubs if p.topic == "ticker" and p.symbol == "BTC_USDT"]
    assert len(ticks) >= 3
    t = ticks[-1]
    assert t["high24Price"] >= t["lastPrice"] >= t["lower24Price"]
    assert t["volume24"] > 0
    assert isinstance(t["riseFallRates"], list)
    assert len(t["riseFallRates"]) == 6
    rest = call(v, "GET", "/api/v1/contract/ticker", query={"symbol": "btc_usdt"}, account=None)
    assert isinstance(rest["riseFallRates"], dict)
    assert rest["bid1"] < rest["ask1"]
    funding = [p.data for p in pubs if p.topic == "funding.rate" and p.symbol == "BTC_USDT"]
    assert funding
    assert funding[0]["nextSettleTime"] % 3_600_000 == 0
    assert all(p.account is None for p in pubs if not p.topic.startswith("personal."))


def test_klines_every_interval() -> None:
    v, pubs = _run(3, 2)
    now_s = START // 1000 + 2
    for interval in INTERVALS:
        for kind in ("", "index_price/", "fair_price/"):
            k = call(
                v,
                "GET",
                f"/api/v1/contract/kline/{kind}{{symbol}}",
                path={"symbol": "DOGE_USDT"},
                query={"interval": interval},
                account=None,
            )
            n = len(k["time"])
            assert 30 <= n <= 2000
            assert all(len(col) == n for col in k.values())
            assert k["time"] == sorted(k["time"])
            assert k["time"][-1] == bar_open(interval, now_s)
            if kind:
                assert set(k["vol"]) == {0.0}
    month = call(
        v,
        "GET",
        "/api/v1/contract/kline/{symbol}",
        path={"symbol": "DOGE_USDT"},
        query={"interval": "Month1", "start": str(now_s - 400 * 86400)},
        account=None,
    )
    assert 13 <= len(month["time"]) <= 15
    day = call(
        v,
        "GET",
        "/api/v1/contract/kline/{symbol}",
        path={"symbol": "DOGE_USDT"},
        query={"interval": "Day1"},
        account=None,
    )
    assert len(day["time"]) > 1000
    lines = [p.data for p in pubs if p.topic == "kline" and p.symbol == "DOGE_USDT"]
    assert {d["interval"] for d in lines} == set(INTERVALS)
    minute = next(d for d in lines if d["interval"] == "Min1")
    assert minute["t"] % 60 == 0
    assert minute["h"] >= minute["l"]


def test_many_contracts_advance() -> None:
    v = Venue(VenueConfig(seed=1, n_contracts=800, start_ms=START, flow_rate=0.5))
    pubs = v.advance(START + 1000)
    pubs += v.advance(START + 2000)
    assert len(v.symbols()) == 800
    assert len({p.symbol for p in pubs if p.topic == "index.price"}) == 800

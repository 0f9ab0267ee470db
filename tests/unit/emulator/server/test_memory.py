"""What the emulator keeps for tests is bounded (issue #14, reliability D7): a soak grew the
emulator by ~280 KB/s through pushed depth versions and the deal log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mexc_futures.emulator.server.fanout import Conn, Fanout
from mexc_futures.emulator.server.faults import Faults
from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.emulator.server.ws_session import WsSession
from mexc_futures.emulator.venue.venue import Venue, VenueConfig

START = 1_789_000_000_000


@dataclass(frozen=True)
class Pub:
    topic: str
    symbol: str | None
    data: Any
    account: str | None = None


def test_pushed_versions_per_connection_are_bounded() -> None:
    s = WsSession(1, limits=WsLimits(), resolve_symbol=lambda x: x,
                  verify_login=lambda *a: (None, "no"), now_s=0)
    s.receive(json.dumps({"method": "sub.depth", "param": {"symbol": "BTC_USDT",
                                                             "compress": False}}), 0, 1)
    conn = Conn(s)
    fan = Fanout(Faults())
    fan.add_conn(conn)
    fan.update(conn, list(s.subs.values()), [])
    for v in range(1, 60_001):
        fan.route([Pub("depth", "BTC_USDT", {"asks": [], "bids": [[1.5, 1, 1]], "version": v})],
                  v)
    kept = sum(len(d) for d in conn.pushed.values())
    assert kept <= 20_000
    assert conn.pushed["BTC_USDT"][-1] == (60_000, 60_000)  # the newest are kept


def test_the_deal_log_shares_one_budget_over_all_symbols() -> None:
    v = Venue(VenueConfig(seed=1, n_contracts=200, start_ms=START, flow_rate=0.0))
    truth = v.engine.truth
    for i in range(3_000):
        truth.add_deal("BTC_USDT", {"p": 1.0, "v": 1, "t": i})
    assert len(truth.deals_of("BTC_USDT")) == 200  # 30 000 / 200 symbols = 150: the minimum
    assert truth.deal_counts["BTC_USDT"] == 3_000
    assert v.engine.books["BTC_USDT"].commits.maxlen == 1_500  # 300 000 commits / 200 symbols

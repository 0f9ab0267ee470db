"""Report metrics on hand-made fills (issue #17)."""

from __future__ import annotations

from mexc_futures.backtest import report as rp

P = rp.EquityPoint


def _fill(t: int, side: int, price: float, vol: int = 1) -> dict[str, object]:
    return {"timestamp": t, "side": side, "price": price, "vol": vol, "taker": False,
            "fee": 0.0, "profit": 0.0}


def test_close_short_is_a_buy_and_close_long_a_sell() -> None:
    """MEXC sides (spec §10): 1 open long and 2 close short buy; 3 open short and 4 close long
    sell. The report had {1, 4} as buys, so a market maker's closing fills counted on the wrong
    side and their markouts had the wrong sign."""
    fills = [_fill(0, 1, 100.0), _fill(0, 2, 100.0), _fill(0, 3, 100.0), _fill(0, 4, 100.0)]
    stats = rp.fill_stats(fills)
    assert (stats["buys"], stats["sells"]) == (2, 2)
    points = [P(0, 0, 0, 0, 0, 100.0), P(1_000, 0, 0, 0, 0, 101.0)]
    mk = rp.markouts([_fill(0, 2, 100.0)], points, contract_size=1.0)
    assert mk["1s"]["mean"] == 1.0  # bought at 100, mid 101 a second later: +1
    mk = rp.markouts([_fill(0, 4, 100.0)], points, contract_size=1.0)
    assert mk["1s"]["mean"] == -1.0  # sold at 100, the mid rose: -1

"""``backtest compare`` matching on hand-made fills (issue #17)."""

from __future__ import annotations

from mexc_futures.backtest.compare import F, compare, pnl


def test_matching_by_time_side_and_price() -> None:
    live = [F(1_000, True, 100.0, 1, 0.01), F(2_000, False, 101.0, 1, 0.01),
            F(9_000, True, 99.0, 2, 0.02)]
    sim = [F(1_200, True, 99.9, 1, 0.01),     # matches the first (better by 0.1)
           F(1_900, True, 101.0, 1, 0.01),    # right time, wrong side for the second
           F(2_300, False, 101.05, 1, 0.01),  # matches the second (better by 0.05)
           F(30_000, True, 99.0, 2, 0.02)]    # too late for the third
    res = compare(live, sim, window_ms=1_000, price_tol=0.001, mark=100.0)
    assert res["matched"] == 2
    assert (res["live_only"], res["backtest_only"]) == (1, 2)
    assert res["fill_rate_live"] == 2 / 3
    assert res["fill_rate_backtest"] == 0.5
    better = res["price_better_in_backtest"]
    assert abs(better["mean"] - 0.075) < 1e-9
    assert res["time_diff_ms"]["median"] == 250.0


def test_each_match_is_used_once_and_the_nearest_wins() -> None:
    live = [F(1_000, True, 100.0, 1, 0.0), F(1_010, True, 100.0, 1, 0.0)]
    sim = [F(1_005, True, 100.0, 1, 0.0)]
    res = compare(live, sim)
    assert res["matched"] == 1
    assert res["live_only"] == 1


def test_pnl_marks_the_position() -> None:
    fills = [F(0, True, 100.0, 2, 0.1), F(1, False, 103.0, 1, 0.1)]
    p = pnl(fills, mark=102.0, contract_size=0.5)
    # cash: -100*2*0.5 + 103*1*0.5 = -48.5; position 1 contract at 102 * 0.5 = 51
    assert p == {"cash_flow": -48.5, "fees": 0.2, "position": 1, "position_value": 51.0,
                 "net": -48.5 - 0.2 + 51.0}

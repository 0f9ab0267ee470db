"""A8: queue-position fill rules on recorded L2 + trades, hand-computed tables and a property
(design record-replay-bus.md §1.6): trades eat the queue ahead, trade-through and crossed-book
fills, partial fills, cancel before fill; fills(risk-averse) <= fills(prob) <= fills(front)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mexc_futures.emulator.market.queue import (
    BUY,
    SELL,
    Depth,
    FrontOfQueue,
    Prob,
    QueueModel,
    QueueSim,
    RiskAverse,
    Trade,
    parse_model,
)

# bid 4 @ 100 joining a level of 10; every row: event, then (ahead, filled) after it, per model.
# Prob(1): the 2-lot cancel at level 8 (ahead 3, behind 5) takes 3/8 of it from ahead: 2.25.
# Prob(2): f = x**2: 9/34 of it: 3 - 2 * 9/34 = 2.470588...
EVENTS = [
    Trade(100, 4, SELL),  # eats 4 of the 10 ahead
    Depth(6),  # the trade, as the level shows it: nothing unexplained
    Depth(3),  # 3 cancelled: only 3 can be ahead now
    Depth(8),  # 5 joined behind
    Depth(6),  # 2 cancelled somewhere: risk-averse says behind
    Trade(100, 5, SELL),  # eats what is ahead, then fills us
    Trade(99, 1, SELL),  # prints through our price: whatever is left fills
]
TABLE = {
    "risk-averse": [(6, 0), (6, 0), (3, 0), (3, 0), (3, 0), (0, 2), (0, 4)],
    "prob:1": [(6, 0), (6, 0), (3, 0), (3, 0), (2.25, 0), (0, 2.75), (0, 4)],
    "prob:2": [(6, 0), (6, 0), (3, 0), (3, 0), (3 - 18 / 34, 0), (0, 2 + 18 / 34), (0, 4)],
    "front": [(0, 4), (0, 4), (0, 4), (0, 4), (0, 4), (0, 4), (0, 4)],
}
MODELS: dict[str, QueueModel] = {"risk-averse": RiskAverse(), "prob:1": Prob(1),
                                 "prob:2": Prob(2), "front": FrontOfQueue()}


@pytest.mark.parametrize("name", list(TABLE))
def test_hand_computed_fill_table(name: str) -> None:
    sim = QueueSim(MODELS[name], BUY, 100, 4, level_qty=10)
    for ev, (ahead, filled) in zip(EVENTS, TABLE[name], strict=True):
        sim.on(ev)
        assert sim.pos.ahead == pytest.approx(ahead), (name, ev)
        assert sim.filled == pytest.approx(filled), (name, ev)
    whys = [f.why for f in sim.fills]
    assert whys == (["queue"] if name == "front" else ["queue", "trade-through"])


def test_crossed_book_fills_whole_at_own_price() -> None:
    sim = QueueSim(RiskAverse(), BUY, 100, 7, level_qty=50)
    sim.on(Depth(50, best_opposite=100.5))
    assert sim.filled == 0
    sim.on(Depth(50, best_opposite=100))  # the recorded best ask reaches our bid
    assert sim.filled == 7
    assert [f.why for f in sim.fills] == ["crossed"]


def test_sell_side_mirror() -> None:
    sim = QueueSim(RiskAverse(), SELL, 101, 3, level_qty=2)
    sim.on(Trade(101, 1, SELL))  # a sell is on our side: not against us
    sim.on(Trade(100, 9, SELL))  # below our ask: not through us either
    assert sim.filled == 0
    sim.on(Trade(101, 3, BUY))  # lifts 2 ahead, then 1 of ours
    assert sim.filled == 1
    sim.on(Trade(102, 1, BUY))  # a buy above our ask: through us
    assert sim.filled == 3


def test_partial_fill_then_cancel_before_the_rest() -> None:
    sim = QueueSim(RiskAverse(), BUY, 100, 10, level_qty=0)  # alone at a new price
    sim.on(Trade(100, 3, SELL))
    assert sim.filled == 3
    assert sim.remaining == 7
    sim.cancel()
    sim.on(Trade(100, 50, SELL))
    sim.on(Trade(90, 50, SELL))
    assert sim.filled == 3


def test_level_gone_puts_us_first() -> None:
    for model in (RiskAverse(), Prob(2)):
        sim = QueueSim(model, BUY, 100, 2, level_qty=40)
        sim.on(Depth(0))  # everyone ahead left
        assert sim.pos.ahead == 0
        sim.on(Trade(100, 1, SELL))
        assert sim.filled == 1


def test_parse_model() -> None:
    assert isinstance(parse_model("risk-averse"), RiskAverse)
    assert parse_model("prob:3") == Prob(3.0)
    assert parse_model("prob").name == "prob:2"
    assert isinstance(parse_model("front"), FrontOfQueue)
    with pytest.raises(ValueError, match="risk-averse, prob"):
        parse_model("magic")


_price = st.sampled_from([98.0, 99.0, 100.0, 100.0, 100.0, 101.0, 102.0])
_event = st.one_of(
    st.builds(Depth, st.integers(0, 60).map(float),
              st.one_of(st.none(), st.sampled_from([99.0, 100.0, 100.5, 101.0]))),
    st.builds(Trade, _price, st.integers(1, 30).map(float), st.sampled_from([BUY, SELL])),
)


@given(st.lists(_event, max_size=40), st.integers(1, 40), st.integers(0, 60),
       st.sampled_from([BUY, SELL]), st.sampled_from([1.0, 2.0, 3.0]))
@settings(max_examples=400, deadline=None)
def test_fills_are_ordered_by_optimism(events: list[Depth | Trade], size: int, level: int,
                                       side: int, power: float) -> None:
    """On any recorded sequence: risk-averse <= prob <= front-of-queue, after every event."""
    sims = [QueueSim(m, side, 100.0, float(size), float(level))
            for m in (RiskAverse(), Prob(power), FrontOfQueue())]
    for ev in events:
        for s in sims:
            s.on(ev)
        ra, pr, fr = (s.filled for s in sims)
        assert ra <= pr + 1e-9
        assert pr <= fr + 1e-9
        assert fr <= size + 1e-9

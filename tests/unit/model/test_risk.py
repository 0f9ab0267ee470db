"""Risk gate: each rule refuses with its own name; cancels always pass."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.intents import (
    AmendOrder,
    CancelAll,
    CancelOrder,
    ClosePosition,
    MarginMode,
    OrderKind,
    PlaceOrder,
    TradeSide,
)
from mexc_futures.model.risk import RiskGate, RiskLimits, RiskView

D = Decimal
SPEC = ContractSpec(
    symbol="BTC_USDT",
    base_coin="BTC",
    quote_coin="USDT",
    settle_coin="USDT",
    contract_size=D("0.0001"),
    price_unit=D("0.1"),
    vol_unit=D(1),
    min_vol=D(1),
    max_vol=D(10000),
    min_leverage=1,
    max_leverage=125,
)
LIMITS = RiskLimits(
    max_position=D(100),
    max_notional=D(1000),
    max_open_orders=3,
    max_open_orders_per_symbol=2,
)


def gate(**specs: ContractSpec) -> RiskGate:
    return RiskGate(LIMITS, specs or {"BTC_USDT": SPEC})


def place(**kw: object) -> PlaceOrder:
    args: dict[str, object] = {
        "symbol": "BTC_USDT",
        "side": TradeSide.OPEN_LONG,
        "kind": OrderKind.LIMIT,
        "vol": D(10),
        "price": D(50000),
        "leverage": 10,
    }
    args.update(kw)
    return PlaceOrder(**args)  # type: ignore[arg-type]


def rule(intent: object, view: RiskView | None = None, g: RiskGate | None = None) -> str | None:
    rej = (g or gate()).check(intent, view or RiskView())  # type: ignore[arg-type]
    return None if rej is None else rej.rule


def test_plain_order_passes() -> None:
    assert rule(place()) is None


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        (place(symbol="ETH_USDT"), "unknown_symbol"),
        (place(vol=D("1.5")), "instrument"),
        (place(price=D("50000.05")), "instrument"),
        (place(leverage=500), "instrument"),
        (place(leverage=None), "leverage"),
        (place(reduce_only=True), "reduce_only"),
        (place(vol=D(101)), "max_position"),
        (place(vol=D(99), price=D(200000)), "max_notional"),
        (place(kind=OrderKind.MARKET, price=None), "no_reference_price"),
        (place(side=TradeSide.CLOSE_LONG), "reduce_only"),
    ],
)
def test_rules(intent: PlaceOrder, expected: str) -> None:
    assert rule(intent) == expected


def test_api_not_allowed_contract_is_tried_then_switched_off() -> None:
    """Fidelity row 17: apiAllowed=false goes out once; the venue's refusal switches it off."""
    spec = msgspec_replace(SPEC, api_allowed=False)
    g = gate(BTC_USDT=spec)
    assert rule(place(), g=g) is None
    g.switch_off("BTC_USDT", "venue said 1002")
    assert rule(place(), g=g) == "symbol_off"


def msgspec_replace(spec: ContractSpec, **kw: object) -> ContractSpec:
    import msgspec

    return msgspec.structs.replace(spec, **kw)


def test_leverage_must_match_position() -> None:
    view = RiskView(positions={("BTC_USDT", 1): D(5)}, leverage={("BTC_USDT", 1): 20})
    assert rule(place(leverage=10), view) == "leverage"
    assert rule(place(leverage=20), view) is None
    assert rule(place(leverage=None), view) is None


def test_position_limit_counts_resting_opens() -> None:
    view = RiskView(positions={("BTC_USDT", 1): D(50)}, pending_open={("BTC_USDT", 1): D(45)})
    assert rule(place(vol=D(5), price=D(100)), view) is None
    assert rule(place(vol=D(6), price=D(100)), view) == "max_position"


def test_close_limited_by_position_minus_resting_closes() -> None:
    view = RiskView(positions={("BTC_USDT", 1): D(10)}, pending_close={("BTC_USDT", 1): D(4)})
    assert rule(place(side=TradeSide.CLOSE_LONG, vol=D(6)), view) is None
    assert rule(place(side=TradeSide.CLOSE_LONG, vol=D(7)), view) == "reduce_only"


def test_market_order_valued_at_reference_price() -> None:
    view = RiskView(reference_price={"BTC_USDT": D(150000)})
    assert rule(place(kind=OrderKind.MARKET, price=None, vol=D(10)), view) is None
    assert rule(place(kind=OrderKind.MARKET, price=None, vol=D(99)), view) == "max_notional"


def test_open_order_counts() -> None:
    assert rule(place(), RiskView(open_orders={"BTC_USDT": 2})) == "max_open_orders"
    assert rule(place(), RiskView(open_orders={"X": 2, "Y": 1})) == "max_open_orders"


def test_cancels_always_pass() -> None:
    full = RiskView(open_orders={"BTC_USDT": 99})
    assert rule(CancelOrder(symbol="BTC_USDT", order_id="1"), full) is None
    assert rule(CancelAll(), full) is None


def test_amend() -> None:
    view = RiskView(order_vol={"7": ("BTC_USDT", 1, D(10), D(4))})
    assert rule(AmendOrder(symbol="BTC_USDT", order_id="7", price=D(100), vol=D(3)), view) == (
        "amend_below_filled"
    )
    assert rule(AmendOrder(symbol="BTC_USDT", order_id="8", price=D(100), vol=D(5)), view) == (
        "unknown_order"
    )
    assert rule(AmendOrder(symbol="BTC_USDT", order_id="7", price=D(100), vol=D(20)), view) is None
    assert rule(AmendOrder(symbol="BTC_USDT", order_id="7", price=D(100), vol=D(200)), view) == (
        "max_position"
    )


def test_close_position() -> None:
    view = RiskView(positions={("BTC_USDT", 2): D(3)})
    assert rule(ClosePosition(symbol="BTC_USDT", position_side=2), view) is None
    assert rule(ClosePosition(symbol="BTC_USDT", position_side=2, vol=D(4)), view) == "reduce_only"
    assert rule(ClosePosition(symbol="BTC_USDT", position_side=1), view) == "no_position"


@pytest.mark.parametrize(
    ("open_type", "mode", "expected"),
    [
        (1, MarginMode.ISOLATED, None),
        (1, MarginMode.CROSS, "margin_mode"),
        (2, MarginMode.CROSS, None),
        (2, MarginMode.ISOLATED, "margin_mode"),
        (3, MarginMode.ISOLATED, None),
        (3, MarginMode.CROSS, None),
    ],
)
def test_open_type_checked_against_position_open_type(
    open_type: int, mode: MarginMode, expected: str | None
) -> None:
    """Fidelity row 10: an open in a margin mode the contract refuses was sent (2002/2027 live);
    the REST-detail reading of ``positionOpenType`` decides (docs/execution.md)."""
    spec = msgspec_replace(SPEC, position_open_type=open_type)
    assert rule(place(margin_mode=mode), g=gate(BTC_USDT=spec)) == expected


def test_open_type_never_blocks_a_close() -> None:
    spec = msgspec_replace(SPEC, position_open_type=2)
    view = RiskView(positions={("BTC_USDT", 1): D(5)}, leverage={("BTC_USDT", 1): 20})
    close = place(side=TradeSide.CLOSE_LONG, vol=D(1), margin_mode=MarginMode.ISOLATED)
    assert rule(close, view, g=gate(BTC_USDT=spec)) is None

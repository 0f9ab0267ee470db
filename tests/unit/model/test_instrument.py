"""ContractSpec: conversions, rounding and validation (spec §4.1, §11, §17)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mexc_futures.errors import ValidationError
from mexc_futures.model.instrument import ContractSpec, to_decimal
from mexc_futures.model.intents import TradeSide
from tests.conftest import load_vectors

D = Decimal


def _detail_objects() -> list[dict[str, Any]]:
    out = []
    for entry in load_vectors("rest_responses.json")["entries"]:
        if not entry["path"].startswith("/api/v1/contract/detail"):
            continue
        data = entry.get("response", {}).get("data")
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and "contractSize" in item:
                out.append(item)
    return out


BTC = ContractSpec(
    symbol="BTC_USDT",
    base_coin="BTC",
    quote_coin="USDT",
    settle_coin="USDT",
    contract_size=D("0.0001"),
    price_unit=D("0.1"),
    vol_unit=D("1"),
    min_vol=D("1"),
    max_vol=D("400000"),
    min_leverage=1,
    max_leverage=500,
    api_allowed=True,
)
INVERSE = ContractSpec(
    symbol="BTC_USD",
    base_coin="BTC",
    quote_coin="USD",
    settle_coin="BTC",
    contract_size=D("100"),
    price_unit=D("0.5"),
    vol_unit=D("1"),
    min_vol=D("1"),
    max_vol=D("100000"),
    max_leverage=125,
)


def test_from_wire_vectors() -> None:
    details = _detail_objects()
    assert len(details) >= 2
    for detail in details:
        spec = ContractSpec.from_wire(detail)
        assert spec.symbol == detail["symbol"]
        assert spec.contract_size == to_decimal(detail["contractSize"])
        assert spec.price_unit == to_decimal(detail["priceUnit"])
        assert spec.api_allowed is detail["apiAllowed"]
        assert spec.max_leverage == detail["maxLeverage"]
        # frozen msgspec struct, round-trips through msgspec
        assert msgspec.json.decode(msgspec.json.encode(spec), type=ContractSpec) == spec
        with pytest.raises(AttributeError):
            spec.symbol = "X"  # type: ignore[misc]
    v2 = ContractSpec.from_wire(details[-1])
    assert v2.price_unit == D("0.1")
    assert v2.max_num_orders == (200, 50)


def test_to_decimal() -> None:
    assert to_decimal(0.1) == D("0.1")
    assert to_decimal("7.548E+4") == D("75480")
    assert to_decimal(3) == D(3)
    with pytest.raises(ValueError, match="not a number"):
        to_decimal("abc")
    with pytest.raises(TypeError):
        to_decimal(True)
    with pytest.raises(TypeError):
        to_decimal(None)


def test_invalid_spec_refused() -> None:
    with pytest.raises(ValueError, match="price_unit"):
        ContractSpec.from_plain({**msgspec.structs.asdict(BTC), "price_unit": 0})


def test_linear_conversions() -> None:
    assert BTC.base_from_contracts(D(12)) == D("0.0012")
    assert BTC.contracts_from_base(D("0.00129")) == D(12)  # rounded down
    assert BTC.contracts_from_base(D("0.00129"), exact=True) == D("12.9")
    assert BTC.notional(D(10), D(100000)) == D(100)
    assert BTC.contracts_from_notional(D(105), D(100000)) == D(10)
    with pytest.raises(ValidationError):
        BTC.notional(D(1))


def test_inverse_conversions() -> None:
    assert INVERSE.is_inverse
    assert not BTC.is_inverse
    assert INVERSE.notional(D(3)) == D(300)
    assert INVERSE.base_from_contracts(D(3), D(60000)) == D("0.005")
    assert INVERSE.contracts_from_base(D("0.005"), D(60000)) == D(3)
    assert INVERSE.contracts_from_notional(D(350)) == D(3)
    with pytest.raises(ValidationError, match="positive price"):
        INVERSE.base_from_contracts(D(3))


def test_round_price_by_side_and_mode() -> None:
    p = D("100000.06")
    assert BTC.round_price(p, "buy") == D("100000.0")
    assert BTC.round_price(p, "sell") == D("100000.1")
    assert BTC.round_price(p, TradeSide.OPEN_LONG) == D("100000.0")
    assert BTC.round_price(p, TradeSide.CLOSE_SHORT) == D("100000.0")
    assert BTC.round_price(p, TradeSide.OPEN_SHORT) == D("100000.1")
    assert BTC.round_price(p, TradeSide.CLOSE_LONG) == D("100000.1")
    assert BTC.round_price(D("100000.05"), mode=ROUND_HALF_UP) == D("100000.1")
    assert BTC.round_price(p) == D("100000.1")
    with pytest.raises(ValidationError) as info:
        BTC.round_price(D("0.04"), "buy")
    assert info.value.nearest == D("0.1")
    with pytest.raises(ValueError, match="side"):
        BTC.round_price(p, "long")  # type: ignore[arg-type]


def test_round_vol_and_min_vol_error() -> None:
    assert BTC.round_vol(D("12.9")) == D(12)
    with pytest.raises(ValidationError) as info:
        BTC.round_vol(D("0.7"))
    err = info.value
    assert err.field == "vol"
    assert err.limit == "minVol=1"
    assert err.nearest == D(1)
    assert "minVol=1" in str(err)
    assert "nearest valid value: 1" in str(err)


def test_validate_order() -> None:
    BTC.validate_order(D(5), D("100000.1"), 20)
    BTC.validate_order(D(5))  # market order, default leverage
    cases = [
        ((D("0.5"),), "minVol=1", D(1)),
        ((D(400001),), "maxVol=400000", D(400000)),
        ((D("2.5"),), "volUnit=1", D(2)),
        ((D(2), D("100.05")), "priceUnit=0.1", D("100.0")),
        ((D(2), D("-1")), "price>0", D("0.1")),
        ((D(2), None, 501), "minLeverage=1,maxLeverage=500", 500),
        ((D(2), None, 0), "minLeverage=1,maxLeverage=500", 1),
    ]
    for args, limit, nearest in cases:
        with pytest.raises(ValidationError) as info:
            BTC.validate_order(*args)
        assert info.value.limit == limit, args
        assert info.value.nearest == nearest, args
        assert str(nearest) in str(info.value)


def test_not_tradable() -> None:
    blocked = msgspec.structs.replace(BTC, api_allowed=False)
    blocked.validate_order(D(1))  # fidelity row 17: tried once, the venue decides
    paused = msgspec.structs.replace(BTC, state=4)
    with pytest.raises(ValidationError, match="paused"):
        paused.validate_order(D(1))
    with pytest.raises(ValidationError, match="state 9"):
        msgspec.structs.replace(BTC, state=9).check_tradable()


# --- property tests -------------------------------------------------------------------------

_units = st.sampled_from([D("1"), D("0.1"), D("0.01"), D("0.5"), D("0.001"), D("5"), D("0.25")])
_sizes = st.sampled_from([D("0.0001"), D("0.001"), D("1"), D("10"), D("100"), D("0.5")])


@st.composite
def specs(draw: st.DrawFn) -> ContractSpec:
    vol_unit = draw(_units)
    min_vol = vol_unit * draw(st.integers(1, 20)) + draw(st.sampled_from([D(0), vol_unit / 2]))
    return ContractSpec(
        symbol="X_USDT",
        base_coin="X",
        quote_coin="USDT",
        settle_coin=draw(st.sampled_from(["USDT", "X"])),
        contract_size=draw(_sizes),
        price_unit=draw(_units),
        vol_unit=vol_unit,
        min_vol=min_vol,
        max_vol=min_vol * 1000,
        max_leverage=100,
    )


_amounts = st.decimals(min_value=D("0.0001"), max_value=D("1000000"), places=6)
_prices = st.decimals(min_value=D("0.01"), max_value=D("200000"), places=4)


@settings(max_examples=200, deadline=None)
@given(specs(), _amounts)
def test_round_vol_never_increases_nor_goes_below_min(spec: ContractSpec, vol: Decimal) -> None:
    if vol < spec.min_vol_on_grid:
        with pytest.raises(ValidationError) as info:
            spec.round_vol(vol)
        assert info.value.nearest == spec.min_vol_on_grid
        assert info.value.nearest >= spec.min_vol
        return
    rounded = spec.round_vol(vol)
    assert rounded <= vol
    assert rounded >= spec.min_vol
    assert vol - rounded < spec.vol_unit
    assert (rounded / spec.vol_unit) % 1 == 0


@settings(max_examples=200, deadline=None)
@given(specs(), _prices, st.sampled_from(["buy", "sell", None]))
def test_price_on_tick_and_side_safe(spec: ContractSpec, price: Decimal, side: Any) -> None:
    assume(price >= spec.price_unit)
    rounded = spec.round_price(price, side)
    assert (rounded / spec.price_unit) % 1 == 0
    assert abs(rounded - price) <= spec.price_unit
    if side == "buy":
        assert rounded <= price
    if side == "sell":
        assert rounded >= price
    spec.validate_order(spec.min_vol_on_grid, rounded, 10)


@settings(max_examples=200, deadline=None)
@given(specs(), st.integers(1, 10**6), _prices)
def test_contract_round_trips(spec: ContractSpec, steps: int, price: Decimal) -> None:
    vol = spec.vol_unit * steps
    base = spec.base_from_contracts(vol, price)
    notional = spec.notional(vol, price)
    # rounded conversions give back exactly the same contracts (no step lost to division error)
    assert spec.contracts_from_base(base, price) == vol
    assert spec.contracts_from_notional(notional, price) == vol
    if not spec.is_inverse:  # multiplications only: exact
        assert spec.contracts_from_base(base, price, exact=True) == vol
        assert spec.contracts_from_notional(notional, price, exact=True) == vol
    else:
        assert abs(spec.contracts_from_base(base, price, exact=True) - vol) < D("1e-20") * vol


@settings(max_examples=200, deadline=None)
@given(specs(), _amounts, _prices)
def test_base_conversion_never_exceeds_intent(
    spec: ContractSpec, base: Decimal, price: Decimal
) -> None:
    vol = spec.contracts_from_base(base, price)
    assert (vol / spec.vol_unit) % 1 == 0
    assert spec.base_from_contracts(vol, price) <= base
    assert spec.notional(vol, price) <= spec.notional(
        spec.contracts_from_base(base, price, exact=True), price
    )

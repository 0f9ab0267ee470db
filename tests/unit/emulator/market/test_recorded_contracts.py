"""A contract rebuilt from a recorded ``contract/detail`` (issue #17)."""

from __future__ import annotations

import msgspec
import pytest

from mexc_futures.emulator.market.recorded_contracts import (
    contract_from_detail,
    first_price,
    recorded_contracts,
)
from mexc_futures.emulator.market.tape import Levels, Print
from mexc_futures.emulator.venue.contracts import build_contracts

KEYS = ("symbol", "baseCoin", "contractSize", "priceUnit", "volUnit", "minVol", "maxVol",
        "minLeverage", "maxLeverage", "takerFeeRate", "makerFeeRate", "maintenanceMarginRate",
        "initialMarginRate", "riskBaseVol", "riskIncrVol", "riskIncrMmr", "riskIncrImr",
        "riskLevelLimit", "priceCoefficientVariation", "bidLimitPriceRate", "id",
        "liquidationFeeRate", "maxNumOrders", "apiAllowed", "indexOrigin")


def test_detail_round_trips() -> None:
    for sym in ("BTC_USDT", "DOGE_USDT", "SHIB_USDT"):
        original = build_contracts()[sym].detail()
        rebuilt = contract_from_detail(msgspec.json.encode(original), 1.0).detail()
        assert {k: rebuilt[k] for k in KEYS} == {k: original[k] for k in KEYS}, sym


def test_fractional_volume_and_missing_detail_are_refused() -> None:
    d = build_contracts()["ETH_USDT"].detail() | {"volUnit": 0.1}
    with pytest.raises(ValueError, match="whole contracts"):
        contract_from_detail(msgspec.json.encode(d), 1.0)
    with pytest.raises(ValueError, match=r"NEW_USDT is not in the emulator.s catalogue"):
        recorded_contracts({}, ["BTC_USDT", "NEW_USDT"], {}, list(build_contracts()))
    assert recorded_contracts({}, ["BTC_USDT"], {}, list(build_contracts())) == {}


def test_first_price() -> None:
    assert first_price([Levels(1, ((9.0, 1.0), (10.0, 2.0)), ((12.0, 1.0), (11.0, 0.0))),
                        Print(2, 11.5, 1, True)]) == 11.0
    assert first_price([Print(2, 11.5, 1, True)]) == 11.5
    assert first_price([]) is None

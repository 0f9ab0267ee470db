"""Typed client methods of issue #15 against the emulator over loopback (spec §5.2–§5.8).

Each test calls the public ``RestClient`` method, then checks the venue's answer through the
client's own typed list/query methods (the emulator's REST, not its internals).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.errors import MexcError
from mexc_futures.protocol.bodies import (
    PlanChangePriceBody,
    PlanOrderBody,
    StopChangeBody,
    StopOrderBody,
)
from mexc_futures.transport.rest import RestClient
from mexc_futures.transport.rest_private import CreateOrderBody

pytestmark = pytest.mark.timeout(30)
SYMBOL = "BTC_USDT"


@pytest.fixture
async def rest() -> AsyncIterator[RestClient]:
    async with (
        Emulator(seed=7, symbols=[SYMBOL, "ETH_USDT"]) as emu,
        RestClient(emu.env, emu.credentials, retry_base=0.01, timeout=2.0) as client,
    ):
        yield client


async def _last(rest: RestClient) -> Decimal:
    t = await rest.get_ticker(SYMBOL)
    return Decimal(str(t.last_price)).quantize(Decimal("0.1"))


async def _long(rest: RestClient, vol: int = 3) -> int:
    await rest.create_order(
        symbol=SYMBOL, side=1, order_type=5, vol=Decimal(vol), open_type=1, leverage=10
    )
    pos = [p for p in await rest.get_positions(SYMBOL) if p.position_type == 1]
    return int(pos[0].position_id)


async def test_plan_order_place_change_list_cancel(rest: RestClient) -> None:
    last = await _last(rest)
    far = last * Decimal("0.5")
    plan_id = await rest.place_plan_order(
        PlanOrderBody(
            symbol=SYMBOL,
            vol=Decimal(1),
            leverage=10,
            side=1,
            open_type=1,
            trigger_price=far.quantize(Decimal("0.1")),
            trigger_type=2,
            trend=2,  # fair price
        )
    )
    rows = {p.id: p for p in await rest.list_plan_orders(SYMBOL, states="1")}
    assert rows[plan_id].trend == 2
    assert rows[plan_id].state == 1
    new = (last * Decimal("0.6")).quantize(Decimal("0.1"))
    await rest.change_plan_price(
        PlanChangePriceBody(
            symbol=SYMBOL, order_id=plan_id, trigger_price=new, order_type=5, trigger_type=2
        )
    )
    rows = {p.id: p for p in await rest.list_plan_orders(SYMBOL)}
    assert rows[plan_id].trigger_price == new
    await rest.cancel_plan_orders([(SYMBOL, plan_id)])
    rows = {p.id: p for p in await rest.list_plan_orders(SYMBOL)}
    assert rows[plan_id].state == 2
    with pytest.raises(MexcError) as err:
        await rest.change_plan_price(
            PlanChangePriceBody(symbol=SYMBOL, order_id=plan_id, trigger_price=new)
        )
    assert err.value.code == 5002


@pytest.mark.parametrize("trend", [1, 2, 3])  # last, fair, index price (spec §5.6)
async def test_plan_order_triggers_on_the_asked_price(rest: RestClient, trend: int) -> None:
    last = await _last(rest)
    plan_id = await rest.place_plan_order(
        PlanOrderBody(
            symbol=SYMBOL,
            vol=Decimal(1),
            leverage=10,
            side=1,
            open_type=1,
            trigger_price=(last * Decimal("1.5")).quantize(Decimal("0.1")),
            trigger_type=2,  # price <= trigger: true at once
            trend=trend,
        )
    )
    far = await rest.place_plan_order(
        PlanOrderBody(
            symbol=SYMBOL,
            vol=Decimal(1),
            leverage=10,
            side=1,
            open_type=1,
            trigger_price=(last * Decimal("1.5")).quantize(Decimal("0.1")),
            trigger_type=1,  # price >= 1.5 x: not for a long while
            trend=trend,
        )
    )
    for _ in range(100):
        rows = {p.id: p for p in await rest.list_plan_orders(SYMBOL)}
        if rows[plan_id].state == 3:
            break
        await asyncio.sleep(0.02)
    assert rows[plan_id].state == 3
    assert rows[far].state == 1
    assert rows[plan_id].trend == trend
    assert rows[plan_id].order_id
    order = await rest.get_order(str(rows[plan_id].order_id))
    assert order.state == 3


async def test_stop_order_place_change_cancel(rest: RestClient) -> None:
    pid = await _long(rest)
    last = await _last(rest)
    sl = (last * Decimal("0.8")).quantize(Decimal("0.1"))
    tp = (last * Decimal("1.2")).quantize(Decimal("0.1"))
    stop_id = await rest.place_stop_order(
        StopOrderBody(position_id=pid, stop_loss_price=sl, take_profit_price=tp, vol_type=2)
    )
    opened = {s.id: s for s in await rest.get_stop_orders(SYMBOL)}
    assert opened[stop_id].stop_loss_price == sl
    sl2 = (last * Decimal("0.85")).quantize(Decimal("0.1"))
    await rest.change_stop_plan_price(
        StopChangeBody(stop_plan_order_id=stop_id, stop_loss_price=sl2, take_profit_price=tp)
    )
    assert (await rest.get_stop_order(stop_id)).stop_loss_price == sl2
    with pytest.raises(MexcError) as err:  # a stop-loss above the market for a long: 5003
        await rest.place_stop_order(
            StopOrderBody(position_id=pid, stop_loss_price=(last * 2).quantize(Decimal("0.1")))
        )
    assert err.value.code == 5003
    await rest.cancel_stop_orders([stop_id])
    assert stop_id not in {s.id for s in await rest.get_stop_orders(SYMBOL)}
    assert any(s.id == stop_id for s in await rest.list_stop_orders(SYMBOL, is_finished=1))


async def test_tp_sl_attached_to_a_limit_order_moves_with_change_price(rest: RestClient) -> None:
    last = await _last(rest)
    res = await rest.create_order(
        symbol=SYMBOL,
        side=1,
        order_type=1,
        vol=Decimal(1),
        open_type=1,
        leverage=10,
        price=(last * Decimal("0.9")).quantize(Decimal("0.1")),
        stop_loss_price=(last * Decimal("0.8")).quantize(Decimal("0.1")),
    )
    new_sl = (last * Decimal("0.7")).quantize(Decimal("0.1"))
    await rest.change_stop_price(StopChangeBody(order_id=res.order_id, stop_loss_price=new_sl))
    order = await rest.get_order(res.order_id)
    assert order.stop_loss_price == new_sl
    with pytest.raises(MexcError) as err:
        await rest.change_stop_price(StopChangeBody(order_id="1", stop_loss_price=new_sl))
    assert err.value.code == 2040


async def test_reverse_margin_and_history(rest: RestClient) -> None:
    pid = await _long(rest, 2)
    await rest.change_margin(pid, Decimal(5), add=True)
    await rest.change_auto_add_margin(pid, True)
    await rest.reverse_position(SYMBOL, pid, Decimal(2))
    positions = await rest.get_positions(SYMBOL)
    assert [(p.position_type, p.hold_vol) for p in positions] == [(2, Decimal(2))]
    deals = await rest.get_order_deals_v3(SYMBOL)
    assert len(deals) >= 2
    history = await rest.get_history_positions(SYMBOL)
    assert any(p.position_id == str(pid) for p in history)
    assert isinstance(await rest.get_funding_records(SYMBOL), list)
    tiers = await rest.get_risk_limits(SYMBOL)
    assert tiers[SYMBOL]
    fee = await rest.get_tiered_fee_rate(SYMBOL)
    assert fee.taker_fee >= fee.maker_fee


async def test_batch_chase_and_external_refs(rest: RestClient) -> None:
    last = await _last(rest)
    bodies = [
        CreateOrderBody(
            symbol=SYMBOL,
            price=(last * Decimal(f"0.9{i}")).quantize(Decimal("0.1")),
            vol=Decimal(1),
            leverage=10,
            side=1,
            type=1,
            open_type=1,
            external_oid=f"batch-{i}",
        )
        for i in range(3)
    ]
    results = await rest.submit_batch(bodies, stp_mode=0)
    assert [r.error_code for r in results] == [0, 0, 0]
    found = await rest.batch_query_by_external([(SYMBOL, f"batch-{i}") for i in range(3)])
    assert sorted(o.external_oid for o in found) == ["batch-0", "batch-1", "batch-2"]
    await rest.chase_limit_order(results[0].order_id)
    cancelled = await rest.batch_cancel_by_external([(SYMBOL, "batch-1"), (SYMBOL, "batch-2")])
    assert [c.error_code for c in cancelled] == [0, 0]
    with pytest.raises(ValueError, match="1 to 50"):
        await rest.submit_batch(bodies * 17)
    with pytest.raises(MexcError) as err:  # the venue's own limit (spec §5.3): 2014
        await rest.call("order_submit_batch", body=[{"symbol": SYMBOL}] * 51)
    assert err.value.code == 2014

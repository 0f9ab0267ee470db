"""Venue ambiguities handled safely whichever reading is true (issue #12 item 6; fidelity audit
rows 1, 2, 9, 18). The emulator switches to the stricter reading (``VenueRules``) or a loopback
proxy answers what the venue might; the old code failed each of these."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.emulator.venue.rules import VenueRules
from mexc_futures.errors import SignatureError
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.model.orders import OrderState
from mexc_futures.model.risk import ONE_WAY
from mexc_futures.transport.rest import CreateOrderBody, RestClient
from mexc_futures.transport.rest_core import ENCODE
from tests.integration.execution.exec_helpers import FAST, SYMBOL, manager, resting
from tests.integration.execution.garble_proxy import Proxy

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def strict() -> AsyncIterator[Emulator]:
    rules = VenueRules(position_mode_default="hedge", cancel_all_requires_symbol=True)
    async with Emulator(seed=6, symbols=[SYMBOL], venue_options={"rules": rules}) as emu:
        yield emu


async def test_fidelity1_position_mode_is_always_sent(strict: Emulator, tmp_path: Path) -> None:
    """Row 1: if the venue reads a missing ``positionMode`` as hedge (v2 literal), a one-way
    account's orders were refused (7002). The manager always states the account's mode."""
    async with RestClient(strict.env, strict.credentials) as rest:
        await rest.change_position_mode(ONE_WAY)
    async with manager(strict, tmp_path / "j.db") as em:
        assert em.view.position_mode == ONE_WAY
        order = await em.submit(await resting(em, away="0.8"))
        assert order is not None
        assert order.state in (OrderState.PENDING, OrderState.OPEN)


async def test_fidelity2_kill_switch_cancels_when_cancel_all_requires_a_symbol(
    strict: Emulator, tmp_path: Path
) -> None:
    """Row 2: under v2 (``symbol`` required) the old ``{}`` body got 600 on every cleanup round:
    the kill switch never contained. ``{"symbol": ""}`` cancels every contract."""
    async with manager(strict, tmp_path / "j.db") as em:
        await em.submit(await resting(em, away="0.8"))
        await em.trip("operator", "test")
        assert em.kill_switch.state.value == "contained"
        assert [r for r in strict.truth.orders() if r["state"] in (1, 2)] == []


async def test_fidelity2_cancel_all_refused_falls_back_to_ids(
    strict: Emulator, tmp_path: Path
) -> None:
    """Whatever the venue does with ``cancel_all``, the cleanup falls back to cancelling the
    open orders by id and verifies (a proxy answers 600 to every ``cancel_all``)."""
    px = Proxy(strict.port)
    await px.start()
    px.set("garble_drop", b"/order/cancel_all", b'{"success":false,"code":600,"message":"x"}', 99)
    try:
        env = type(strict.env).local("127.0.0.1", px.port)
        async with (
            RestClient(env, strict.credentials, retry_base=0.01, timeout=2.0) as rest,
            ExecutionManager(rest, journal_path=tmp_path / "j.db", config=FAST) as em,
        ):
            await em.submit(await resting(em, away="0.8"))
            await em.trip("operator", "test")
            assert px.hits >= 1
            assert em.kill_switch.state.value == "contained"
            assert [r for r in strict.truth.orders() if r["state"] in (1, 2)] == []
    finally:
        await px.stop()


async def test_fidelity9_602_on_orders_while_reads_work_switches_trading_off(
    strict: Emulator, tmp_path: Path
) -> None:
    """Row 9: signed GETs pass, a signed POST gets 602 ("Signature verification failed"): the
    account or key cannot trade over the API. Trading goes off with that explanation."""
    px = Proxy(strict.port)
    await px.start()
    body = b'{"success":false,"code":602,"message":"Signature verification failed!"}'
    px.set("garble_drop", b"/order/create", body, 1)
    try:
        env = type(strict.env).local("127.0.0.1", px.port)
        async with (
            RestClient(env, strict.credentials, retry_base=0.01, timeout=2.0) as rest,
            ExecutionManager(rest, journal_path=tmp_path / "j.db", config=FAST) as em,
        ):
            assert em.capabilities.can_read
            with pytest.raises(SignatureError):
                await em.submit(await resting(em, away="0.8"))
            assert "API trading is disabled" in em.trading_off_reason
    finally:
        await px.stop()


def test_fidelity18_no_exponent_numbers_in_bodies() -> None:
    """Row 18: msgspec writes ``Decimal("0.00000010")`` as ``1.0E-7`` and ``Decimal("1E+2")``
    as ``1E+2``; bodies carry plain numbers only."""
    body = CreateOrderBody(
        symbol="PEPE_USDT",
        price=Decimal("0.00000010"),
        vol=Decimal("1E+2"),
        side=1,
        type=1,
        open_type=1,
        external_oid="mf1e5",
    )
    raw = ENCODE(body)
    assert b'"price":0.00000010' in raw, raw
    assert b'"vol":100' in raw, raw
    assert b"E" not in raw.replace(b"PEPE", b""), raw
    fast = ENCODE(CreateOrderBody(symbol="BTC_USDT", vol=Decimal(1), side=1, type=5, open_type=1))
    assert fast == b'{"symbol":"BTC_USDT","vol":1,"side":1,"type":5,"openType":1}'

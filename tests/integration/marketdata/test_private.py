"""PrivateStream against the emulator: login (subscribe:false), exact filter, typed events,
clear failure on a refused login, re-login after a reconnect."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from mexc_futures.config import Credentials
from mexc_futures.emulator.server.faults import DropTcp
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.marketdata.facade import LoginError, PrivateStream
from mexc_futures.model.events import BalanceUpdate, OrderUpdate
from mexc_futures.protocol.session import SessionConfig
from mexc_futures.transport.rest import RestClient

SYM = "BTC_USDT"
FAST = SessionConfig(ping_interval=10, pong_timeout=5, login_timeout=5)


def _sent(ex: Emulator) -> list[dict[str, object]]:
    rows = ex.connections()
    return [json.loads(raw) for r in rows for _, raw in ex.frames_received(r["id"])]


async def _next(ps: PrivateStream, cls: type, limit: float = 10.0) -> object:
    async with asyncio.timeout(limit):
        async for ev in ps:
            if isinstance(ev, cls):
                return ev
    raise AssertionError("stream ended")


class _Relogins:
    """Counts ``on_up`` of the private connection (login + filter acknowledged)."""

    def __init__(self, ps: PrivateStream) -> None:
        self.count = 0
        self.changed = asyncio.Event()
        inner = ps.on_up

        def on_up(conn: int, reconnect: bool) -> None:
            inner(conn, reconnect)
            self.count += 1
            self.changed.set()

        ps.on_up = on_up  # type: ignore[method-assign]

    async def wait(self, n: int) -> None:
        async with asyncio.timeout(10):
            while self.count < n:
                self.changed.clear()
                await self.changed.wait()


async def test_login_filter_and_typed_events_survive_reconnect() -> None:
    async with (
        Emulator(symbols=[SYM], speed=20) as ex,
        PrivateStream(ex.env, ex.credentials, ["order", "asset"], [SYM], clock=ex.clock,
                      session_config=FAST) as ps,
        RestClient(ex.env, ex.credentials, clock=ex.clock) as rest,
    ):
        relogins = _Relogins(ps)
        frames = _sent(ex)
        login = next(f for f in frames if f.get("method") == "login")
        assert login["param"]["subscribe"] is False  # type: ignore[index]
        filt = next(f for f in frames if f.get("method") == "personal.filter")
        assert filt["param"] == {"filters": [{"filter": "order", "rules": [SYM]},
                                             {"filter": "asset"}]}
        await rest.create_order(symbol=SYM, side=1, order_type=5, vol=Decimal(1),
                                open_type=1, leverage=10, external_oid="md-priv-1")
        order = await _next(ps, OrderUpdate)
        assert isinstance(order, OrderUpdate)
        assert order.external_oid == "md-priv-1"
        assert isinstance(await _next(ps, BalanceUpdate), BalanceUpdate)
        ex.faults.add(DropTcp())
        await relogins.wait(1)  # logged in and filtered again on the new socket
        assert sum(1 for f in _sent(ex) if f.get("method") == "login") == 2
        assert sum(1 for f in _sent(ex) if f.get("method") == "personal.filter") == 2
        await rest.create_order(symbol=SYM, side=1, order_type=5, vol=Decimal(1),
                                open_type=1, leverage=10, external_oid="md-priv-2")
        async with asyncio.timeout(10):
            while True:
                ev = await _next(ps, OrderUpdate)
                assert isinstance(ev, OrderUpdate)
                if ev.external_oid == "md-priv-2":
                    break


async def test_refused_login_is_a_clear_error_not_a_hang() -> None:
    async with Emulator(symbols=[SYM], speed=20) as ex:
        bad = Credentials(ex.credentials.api_key, "0" * 32)
        stream = PrivateStream(ex.env, bad, ["order"], [SYM], clock=ex.clock,
                               session_config=FAST)
        async with asyncio.timeout(10):
            with pytest.raises(LoginError, match="refused"):
                await stream.__aenter__()


def test_unknown_private_channel_rejected() -> None:
    with pytest.raises(ValueError, match="unknown private"):
        PrivateStream(object(), Credentials("k" * 8, "s" * 8), ["nope"])  # type: ignore[arg-type]

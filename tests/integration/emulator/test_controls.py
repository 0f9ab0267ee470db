"""Tester controls over the token-protected control API (issue #14): reset an account, set a
balance, move or shock the price, pause the market; bad input is a 400, never a 500 (D11)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from mexc_futures.emulator.server import Emulator

pytestmark = pytest.mark.asyncio
SYM = "BTC_USDT"


async def _ctl(s: aiohttp.ClientSession, ex: Emulator, path: str, body: Any = None,
               raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    async with s.post(f"{ex.control_url}/{path}", data=data,
                      headers={"X-Emulator-Token": ex.control_token}) as r:
        return r.status, await r.json()


async def test_controls_move_the_market_and_the_account() -> None:
    async with Emulator(symbols=[SYM], balance=5_000) as ex, aiohttp.ClientSession() as s:
        market = ex.venue.engine.markets[SYM]
        status, _ = await _ctl(s, ex, "market/price", {"symbol": SYM, "price": 90_000})
        assert status == 200
        assert market.mid * ex.venue.contract(SYM).price_unit == pytest.approx(90_000, rel=1e-3)
        status, _ = await _ctl(s, ex, "market/shock", {"symbol": SYM, "move": -0.05, "pull": 0.5,
                                                       "durationMs": 1000})
        assert status == 200
        assert market.mid * ex.venue.contract(SYM).price_unit == pytest.approx(85_500, rel=3e-3)
        status, body = await _ctl(s, ex, "market/pause", {})
        assert (status, body["paused"]) == (200, True)
        assert market.rate == 0
        status, _ = await _ctl(s, ex, "market/resume", {"symbol": SYM})
        assert status == 200
        assert market.rate > 0
        key = ex.credentials.api_key
        status, _ = await _ctl(s, ex, "account/balance", {"currency": "USDT", "amount": "123.45"})
        assert status == 200
        assert ex.truth.balance(key, "USDT") == "123.45000000"
        status, _ = await _ctl(s, ex, "account/reset", {})
        assert status == 200
        assert ex.truth.balance(key, "USDT") == "5000.00000000"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("market/price", {"symbol": SYM, "price": "NaN"}),
        ("market/price", {"symbol": SYM, "price": -1}),
        ("market/price", {"price": 1}),
        ("market/shock", {"symbol": SYM, "move": "Infinity"}),
        ("market/shock", {"symbol": SYM, "pull": 2}),
        ("market/shock", {"symbol": "NOPE_USDT", "move": 0.01}),
        ("account/balance", {"amount": "-5"}),
        ("account/balance", {"apiKey": "unknown", "amount": "5"}),  # pragma: allowlist secret
        ("account/reset", [1, 2]),
        ("advance", {"ms": "soon"}),
    ],
)
async def test_bad_control_input_is_a_400(path: str, body: Any) -> None:
    async with Emulator(symbols=[SYM]) as ex, aiohttp.ClientSession() as s:
        status, answer = await _ctl(s, ex, path, body)
        assert status == 400, answer
        assert "error" in answer
        status, _ = await _ctl(s, ex, path, raw=b"[" * 50_000)
        assert status == 400

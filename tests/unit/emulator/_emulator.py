"""Helpers shared by the emulator-core unit tests (a quiet venue with two accounts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mexc_futures.emulator.venue.codes import VenueError
from mexc_futures.emulator.venue.venue import Publication, Venue, VenueConfig

START = 1_789_000_000_000
ORDER = "/api/v1/private/order"


def quiet_venue(**kw: Any) -> Venue:
    """Three symbols, no synthetic flow (a static seeded book), accounts alice and bob."""
    cfg: dict[str, Any] = {
        "seed": 7,
        "symbols": ("BTC_USDT", "ETH_USDT", "SOL_USDT"),
        "accounts": ("alice", "bob"),
        "start_ms": START,
        "flow_rate": 0.0,
    }
    cfg.update(kw)
    return Venue(VenueConfig(**cfg))


def call(
    v: Venue,
    method: str,
    template: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
    path: dict[str, str] | None = None,
    account: str | None = "alice",
) -> Any:
    """One REST call through ``Venue.handle``."""
    return v.handle(method, template, path or {}, query or {}, body, account)


def create(v: Venue, account: str = "alice", **body: Any) -> str:
    """``order/create`` with sensible defaults; returns the orderId string."""
    full = {"symbol": "BTC_USDT", "type": 1, "openType": 1, "leverage": 20, "side": 1}
    full.update(body)
    return str(call(v, "POST", f"{ORDER}/create", full, account=account)["orderId"])


def get(v: Venue, order_id: str, account: str = "alice") -> dict[str, Any]:
    """Order row by id."""
    return dict(
        call(v, "GET", f"{ORDER}/get/{{order_id}}", path={"order_id": order_id}, account=account)
    )


def top(v: Venue, symbol: str = "BTC_USDT") -> tuple[float, float]:
    """Best bid and ask prices from REST depth."""
    d = call(
        v,
        "GET",
        "/api/v1/contract/depth/{symbol}",
        query={"limit": "1"},
        path={"symbol": symbol},
        account=None,
    )
    return d["bids"][0][0], d["asks"][0][0]


def private(pubs: list[Publication], account: str = "alice") -> list[Publication]:
    """Private publications for one account."""
    return [p for p in pubs if p.account == account]


def positions(v: Venue, account: str = "alice") -> list[dict[str, Any]]:
    """``position/open_positions`` rows of ``account``."""
    return list(call(v, "GET", "/api/v1/private/position/open_positions", account=account))


def error_code(fn: Callable[[], Any]) -> int:
    """The ``VenueError`` code ``fn()`` raises (fails the test when it raises none)."""
    with pytest.raises(VenueError) as exc:
        fn()
    return exc.value.code

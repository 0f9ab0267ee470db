"""Public REST endpoints of spec §4 (P1–P16) over an :class:`Engine`.

Each handler takes the engine and a :class:`Req` and returns the JSON-ready ``data`` of the success
envelope, or raises ``VenueError``. Symbols are case-insensitive (§1); unknown ones answer 1001
(``"Contract not exists"`` on ``detail``, ``"Contract does not exist"`` elsewhere, as live).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mexc_futures.emulator.market.klines import INTERVALS
from mexc_futures.emulator.venue.accounts import Account
from mexc_futures.emulator.venue.codes import fail
from mexc_futures.emulator.venue.engine import Engine
from mexc_futures.emulator.venue.matching import ASK, BID

MAX_DEPTH = 1500


@dataclass(frozen=True, slots=True)
class Req:
    """One REST call as the venue sees it (query values are strings)."""

    path: dict[str, str]
    query: dict[str, Any]
    body: Any
    account: Account | None
    now: int
    extra: dict[str, Any] = field(default_factory=dict)

    def q(self, key: str, default: Any = None) -> Any:
        """Query value or ``default`` (empty strings count as absent)."""
        v = self.query.get(key)
        return default if v is None or v == "" else v

    def qint(self, key: str, default: int | None = None) -> int | None:
        """Integer query value; 600 when not an integer."""
        v = self.q(key)
        if v is None:
            return default
        try:
            return int(str(v))
        except ValueError:
            raise fail(600) from None


Handler = Callable[[Engine, Req], Any]


def page_params(r: Req, max_size: int = 100) -> tuple[int, int]:
    """``(page_num, page_size)`` with defaults 1/20; 600 when out of range."""
    num = r.qint("page_num", 1) or 1
    size = r.qint("page_size", 20) or 20
    if num < 1 or size < 1 or size > max_size:
        raise fail(600)
    return num, size


def paged(items: list[Any], r: Req, max_size: int = 100) -> dict[str, Any]:
    """Pagination object of §2 over ``items``."""
    num, size = page_params(r, max_size)
    total = len(items)
    return {
        "pageSize": size,
        "totalCount": total,
        "totalPage": (total + size - 1) // size,
        "currentPage": num,
        "resultList": items[(num - 1) * size : num * size],
    }


def sliced(items: list[Any], r: Req, max_size: int = 100) -> list[Any]:
    """One page of ``items`` as a plain list (v2 list endpoints)."""
    num, size = page_params(r, max_size)
    return items[(num - 1) * size : num * size]


def ping(e: Engine, r: Req) -> Any:
    """P1: server time in ms: the clock signatures are checked against (D10), else venue time."""
    return int(r.extra.get("server_ms", r.now))


def detail(e: Engine, r: Req) -> Any:
    """P2/P2b: one contract object, or the array of all."""
    sym = r.q("symbol")
    if sym is None:
        return [c.detail() for c in e.contracts.values()]
    c = e.contracts.get(str(sym).upper())
    if c is None:
        raise fail(1001, "Contract not exists")
    return c.detail()


def support_currencies(e: Engine, r: Req) -> Any:
    """P3: transferable coins."""
    return sorted({"BTC", "ETH"} | {c.quote for c in e.contracts.values()})


def depth_snapshot(e: Engine, symbol: str, limit: int | None, now: int) -> dict[str, Any]:
    """P4 data; with a REST lag set for the symbol, the book that many versions ago (§4.2)."""
    c = e.contract(symbol)
    book = e.books[c.symbol]
    lag = e.rest_lag.get(c.symbol, 0)
    n = MAX_DEPTH if limit is None else min(limit, MAX_DEPTH)
    if lag:
        version = max(
            book.version - lag, book.commits[0].version - 1 if book.commits else book.version
        )
        bids_map, asks_map = book.state_at(version)
        bids = sorted(bids_map.items(), reverse=True)[:n]
        asks = sorted(asks_map.items())[:n]
        return {
            "cts": None,
            "asks": [[c.price(p), v, k] for p, (v, k) in asks],
            "bids": [[c.price(p), v, k] for p, (v, k) in bids],
            "version": version,
            "timestamp": now,
        }
    return {
        "cts": None,
        "asks": [[c.price(p), v, k] for p, v, k in book.top(ASK, n)],
        "bids": [[c.price(p), v, k] for p, v, k in book.top(BID, n)],
        "version": book.version,
        "timestamp": book.timestamp or now,
    }


def depth(e: Engine, r: Req) -> Any:
    """P4: ``{asks, bids, version, timestamp}`` (+ ``cts: null``)."""
    limit = r.qint("limit")
    if limit is not None and limit < 1:
        raise fail(600)
    return depth_snapshot(e, r.path["symbol"], limit, r.now)


def depth_commits(e: Engine, r: Req) -> Any:
    """P5: the last ``limit`` single-level changes, newest first (§4.3)."""
    c = e.contract(r.path["symbol"])
    try:
        limit = int(r.path["limit"])
    except ValueError:
        raise fail(600) from None
    if limit < 1:
        raise fail(600)
    out = []
    for i, cm in enumerate(reversed(e.books[c.symbol].commits)):
        if i >= min(limit, 1000):
            break
        level = [[c.price(cm.ticks), cm.vol, cm.count]]
        out.append(
            {
                "asks": level if cm.side == ASK else [],
                "bids": level if cm.side == BID else [],
                "version": cm.version,
                "cts": cm.cts,
            }
        )
    return out


def index_price(e: Engine, r: Req) -> Any:
    """P6."""
    c = e.contract(r.path["symbol"])
    return {"symbol": c.symbol, "indexPrice": e.markets[c.symbol].index_price, "timestamp": r.now}


def fair_price(e: Engine, r: Req) -> Any:
    """P7."""
    c = e.contract(r.path["symbol"])
    return {"symbol": c.symbol, "fairPrice": e.markets[c.symbol].fair_price, "timestamp": r.now}


def funding_rate(e: Engine, r: Req) -> Any:
    """P8 (one symbol) / P8b (all)."""
    sym = r.path.get("symbol")
    if sym is None:
        return [m.funding_row(r.now) for m in e.markets.values()]
    return e.markets[e.contract(sym).symbol].funding_row(r.now)


def _kline(kind: str) -> Handler:
    def handler(e: Engine, r: Req) -> Any:
        c = e.contract(r.path["symbol"])
        interval = r.q("interval", "Min1")
        if interval not in INTERVALS:
            raise fail(600)
        m = e.markets[c.symbol]
        series = {"last": m.kline_last, "index": m.kline_index, "fair": m.kline_fair}[kind]
        return series.columnar(
            interval, r.qint("start"), r.qint("end"), r.now // 1000, kind == "last"
        )

    handler.__doc__ = f"P9–P11: columnar {kind}-price klines (§4.4)."
    return handler


def deals(e: Engine, r: Req) -> Any:
    """P12: newest first, ``limit`` ≤ 100."""
    c = e.contract(r.path["symbol"])
    limit = r.qint("limit", 100) or 100
    if limit < 1 or limit > 100:
        raise fail(600)
    keys = ("p", "v", "T", "O", "M", "t", "i")  # ``i`` as a string: 2025-12-31 live recording
    return [{k: d[k] for k in keys} for d in list(e.markets[c.symbol].deals)[:limit]]


def ticker_row(e: Engine, symbol: str, now: int, ws: bool) -> dict[str, Any]:
    """Ticker row with the live bid1/ask1."""
    c = e.contracts[symbol]
    book = e.books[symbol]
    bid, ask = book.best_bid(), book.best_ask()
    return e.markets[symbol].ticker(
        now, ws, c.price(bid) if bid is not None else 0, c.price(ask) if ask is not None else 0
    )


def ticker(e: Engine, r: Req) -> Any:
    """P13: object for one symbol, else array."""
    sym = r.q("symbol")
    if sym is None:
        return [ticker_row(e, s, r.now, False) for s in e.contracts]
    return ticker_row(e, e.contract(str(sym)).symbol, r.now, False)


def risk_reverse(e: Engine, r: Req) -> Any:
    """P14: insurance fund balances."""
    sym = r.path.get("symbol")
    symbols = [e.contract(sym).symbol] if sym else list(e.contracts)
    return [
        {
            "symbol": s,
            "currency": e.contracts[s].quote,
            "available": round(1e6 * (1 + e.contracts[s].contract_id % 97), 4),
            "timestamp": r.now,
        }
        for s in symbols
    ]


def risk_reverse_history(e: Engine, r: Req) -> Any:
    """P15."""
    c = e.contract(r.q("symbol"))
    rows = [
        {
            "symbol": c.symbol,
            "currency": c.quote,
            "available": 1e6 + i * 10.0,
            "snapshotTime": r.now - r.now % 14_400_000 - i * 14_400_000,
        }
        for i in range(42)
    ]
    return paged(rows, r)


def funding_history(e: Engine, r: Req) -> Any:
    """P16."""
    c = e.contract(r.q("symbol"))
    return paged(list(e.markets[c.symbol].funding_history), r, 1000)


P = "/api/v1/contract"
ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", f"{P}/ping"): ping,
    ("GET", f"{P}/detail"): detail,
    ("GET", f"{P}/detail/country"): detail,
    ("GET", f"{P}/support_currencies"): support_currencies,
    ("GET", f"{P}/depth/{{symbol}}"): depth,
    ("GET", f"{P}/depth_commits/{{symbol}}/{{limit}}"): depth_commits,
    ("GET", f"{P}/index_price/{{symbol}}"): index_price,
    ("GET", f"{P}/fair_price/{{symbol}}"): fair_price,
    ("GET", f"{P}/funding_rate/{{symbol}}"): funding_rate,
    ("GET", f"{P}/funding_rate"): funding_rate,
    ("GET", f"{P}/kline/{{symbol}}"): _kline("last"),
    ("GET", f"{P}/kline/index_price/{{symbol}}"): _kline("index"),
    ("GET", f"{P}/kline/fair_price/{{symbol}}"): _kline("fair"),
    ("GET", f"{P}/deals/{{symbol}}"): deals,
    ("GET", f"{P}/ticker"): ticker,
    ("GET", f"{P}/risk_reverse"): risk_reverse,
    ("GET", f"{P}/risk_reverse/{{symbol}}"): risk_reverse,
    ("GET", f"{P}/risk_reverse/history"): risk_reverse_history,
    ("GET", f"{P}/funding_rate/history"): funding_history,
}

"""The sans-I/O emulator core: ``Venue`` (docs/seams.md "Emulator core").

``Venue(VenueConfig)`` owns the contract catalogue, one order book and synthetic market per symbol,
the accounts and the trading engine. The async server calls two things:

* ``handle(method, template, path_params, query, body, account)`` — one REST call (spec §4, §5),
  returning the JSON-ready ``data`` (or ``NO_DATA``) or raising ``VenueError(code, message)``.
  Venue time for the call is the time of the last ``advance`` (or ``now_ms=`` when given).
* ``advance(now_ms)`` — runs synthetic flow, triggers, funding and liquidations up to ``now_ms`` and
  returns the :class:`Publication` list to push: private pushes queued by earlier ``handle`` calls
  first, then per symbol ``deal``, ``kline``, ``depth`` (every single version, unmerged shape),
  ``depth.merged`` (every ``merge_interval_ms``), ``depth.full`` (top ``full_depth_limit``, every
  ``full_interval_ms`` when the version moved), ``index.price``/``fair.price``/``ticker`` (about
  once a second), ``funding.rate`` (on change, ≤ 1/min), then ``tickers`` (changed rows) and the
  private pushes caused during this advance.

No I/O, no clock: time comes in as ``now_ms``; randomness from seeded ``random.Random`` instances.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import triggers
from .accounts import HEDGE, Account
from .codes import NO_DATA, VenueError, fail
from .contracts import Contract, build_contracts
from .engine import Engine, Publication
from .handlers_account import ROUTES as ACCOUNT_ROUTES
from .handlers_orders import ROUTES as ORDER_ROUTES
from .handlers_public import ROUTES as PUBLIC_ROUTES
from .handlers_public import Handler, Req, ticker_row
from .klines import INTERVALS
from .market import SymbolMarket, symbol_seed
from .matching import ASK, BID, Commit, OrderBook, merged_frame
from .truth import VenueTruth

__all__ = ["NO_DATA", "Publication", "Venue", "VenueConfig", "VenueError"]

DEFAULT_START_MS = 1_789_000_000_000
_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass
class VenueConfig:
    """Everything that shapes a venue; the defaults suit tests and the demo."""

    seed: int = 1
    symbols: tuple[str, ...] | None = None
    n_contracts: int | None = None
    balance: float = 10_000.0
    accounts: tuple[str, ...] = ()
    currency: str = "USDT"
    start_ms: int | None = None
    flow_rate: float = 5.0
    flow_rates: dict[str, float] = field(default_factory=dict)
    book_levels: int = 30
    ring_size: int = 5000
    publish_unmerged: bool = True
    merge_interval_ms: int = 200
    full_interval_ms: int = 300
    full_depth_limit: int = 50
    ticker_interval_ms: int = 1000
    api_disallowed: tuple[str, ...] = ()
    reject_duplicate_external_oid: bool = True
    rest_lag_versions: int = 0
    max_events_per_advance: int = 5000
    position_mode: int = HEDGE
    kline_intervals: tuple[str, ...] = tuple(INTERVALS)


@dataclass
class _SymState:
    merge_buf: list[Commit] = field(default_factory=list)
    last_merge: int = 0
    last_full: int = 0
    last_full_version: int = 0
    last_refresh: int = 0
    last_funding_push: int = -(10**12)
    last_funding_rate: float | None = None
    last_tickers_key: tuple[float, ...] = ()


class Venue:
    """The emulated exchange core; see the module docstring."""

    def __init__(self, config: VenueConfig | None = None) -> None:
        self.config = cfg = config or VenueConfig()
        contracts = build_contracts(cfg.n_contracts, cfg.symbols, cfg.api_disallowed)
        self.engine = Engine(
            contracts, cfg.seed, cfg.start_ms or 0, cfg.reject_duplicate_external_oid
        )
        self.truth = VenueTruth(self.engine)
        self._routes: dict[tuple[str, str], tuple[Handler, list[str]]] = {}
        for table in (PUBLIC_ROUTES, ORDER_ROUTES, ACCOUNT_ROUTES):
            for (method, template), handler in table.items():
                self._routes[(method, _PARAM.sub("{}", template))] = (
                    handler,
                    _PARAM.findall(template),
                )
        self._sym: dict[str, _SymState] = {s: _SymState() for s in contracts}
        self._started = False
        self._last_tickers = 0
        for key in cfg.accounts:
            self.add_account(key, "")
        if cfg.rest_lag_versions:
            for s in contracts:
                self.engine.rest_lag[s] = cfg.rest_lag_versions
        if cfg.start_ms is not None:
            self._start(cfg.start_ms)

    # ------------------------------------------------------------------ set-up
    def _start(self, now_ms: int) -> None:
        cfg = self.config
        e = self.engine
        e.now_ms = now_ms
        for sym, c in e.contracts.items():
            start_version = symbol_seed(cfg.seed, sym) % 9_000_000_000 + 1_000_000_000
            book = OrderBook(start_version, cfg.ring_size)
            e.books[sym] = book
            rate = cfg.flow_rates.get(sym, cfg.flow_rate)
            e.markets[sym] = SymbolMarket(c, book, cfg.seed, rate, now_ms, cfg.book_levels)
            book.drain()  # the seeded book is the starting state, not news
            st = self._sym[sym]
            st.last_merge = st.last_full = st.last_refresh = now_ms
            st.last_full_version = book.version
            e.truth.first_published[sym] = book.version + 1
            e.truth.last_published[sym] = book.version
        self._last_tickers = now_ms
        self._started = True

    def _ensure(self) -> None:
        if not self._started:
            self._start(self.config.start_ms or DEFAULT_START_MS)

    def symbols(self) -> list[str]:
        """Every listed contract symbol."""
        return list(self.engine.contracts)

    def contract(self, symbol: str) -> Contract:
        """Contract by symbol (case-insensitive), else ``VenueError(1001)``."""
        return self.engine.contract(symbol)

    @property
    def now_ms(self) -> int:
        """Venue time of the last advance."""
        return self.engine.now_ms

    # ------------------------------------------------------------------- admin
    def add_account(self, api_key: str, secret: str, read_only: bool = False) -> Account:
        """Create (or return) the account of ``api_key`` with the configured balance."""
        acct = self.engine.accounts.get(api_key)
        if acct is None:
            acct = Account(api_key, secret, read_only, position_mode=self.config.position_mode)
            acct.cash[self.config.currency] = float(self.config.balance)
            self.engine.accounts[api_key] = acct
        return acct

    def account(self, api_key: str) -> Account:
        """The account of ``api_key`` (created on first use)."""
        return self.add_account(api_key, "")

    def set_balance(self, account: str, currency: str, amount: float) -> None:
        """Set the wallet balance and push ``personal.asset``."""
        acct = self.account(account)
        acct.cash[currency.upper()] = float(amount)
        self._ensure()
        self.engine.push_asset(acct, currency.upper())

    def set_api_allowed(self, symbol: str, allowed: bool) -> None:
        """Toggle ``apiAllowed`` (1002 on order placement when false) and publish ``contract``."""
        c = self.contract(symbol)
        c.api_allowed = allowed
        self.engine.pubs.append(Publication("contract", c.symbol, c.detail(), None, self.now_ms))

    def set_rest_lag(self, symbol: str, versions: int) -> None:
        """Make REST ``depth`` answer the book ``versions`` versions old (S13)."""
        self.engine.rest_lag[self.contract(symbol).symbol] = max(0, versions)

    def set_flow_rate(self, symbol: str, rate: float) -> None:
        """Change a symbol's synthetic event rate (events per second of venue time)."""
        self._ensure()
        m = self.engine.markets[self.contract(symbol).symbol]
        m.rate = rate
        m.next_event_ms = self.now_ms + m._gap_ms()

    # -------------------------------------------------------------------- REST
    def handle(
        self,
        method: str,
        template: str,
        path_params: dict[str, str],
        query: dict[str, Any],
        body: Any,
        account: str | None,
        *,
        now_ms: int | None = None,
    ) -> Any:
        """Serve one REST call (see the module docstring)."""
        self._ensure()
        if now_ms is not None:
            self.engine.now_ms = max(self.engine.now_ms, now_ms)
        key = (method.upper(), _PARAM.sub("{}", template.split("?")[0].rstrip("/")))
        route = self._routes.get(key)
        if route is None:
            raise fail(511, "Endpoint inaccessible")
        handler, names = route
        given = _PARAM.findall(template)
        path = dict(path_params)
        if given != names:
            path = {
                mine: path_params.get(theirs, "")
                for mine, theirs in zip(names, given, strict=False)
            }
        acct = self.account(account) if account is not None else None
        if key[1].startswith("/api/v1/private") and acct is None:
            raise fail(401, "Unauthorized")
        req = Req(path, dict(query or {}), body, acct, self.engine.now_ms, {"template": template})
        return handler(self.engine, req)

    def drain(self) -> list[Publication]:
        """Private publications queued by ``handle`` since the last advance/drain."""
        out, self.engine.pubs = self.engine.pubs, []
        return out

    # ---------------------------------------------------------------- advance
    def advance(self, now_ms: int) -> list[Publication]:
        """Run the venue up to ``now_ms`` and return what to push (module docstring)."""
        if not self._started:
            self._start(now_ms)
        e = self.engine
        now = max(now_ms, e.now_ms)
        out = self.drain()
        e.now_ms = now
        for sym in e.contracts:
            self._advance_symbol(sym, now, out)
        for acct in list(e.accounts.values()):
            if acct.plans:
                triggers.check_plans(e, acct, now)
            if acct.stops:
                triggers.check_stops(e, acct, now)
        if now - self._last_tickers >= self.config.ticker_interval_ms:
            self._last_tickers = now
            rows = self._changed_tickers(now)
            if rows:
                out.append(Publication("tickers", None, rows, None, now))
        out.extend(self.drain())
        return out

    def _advance_symbol(self, sym: str, now: int, out: list[Publication]) -> None:
        e, cfg, st = self.engine, self.config, self._sym[sym]
        m = e.markets[sym]
        book = e.books[sym]
        due = (now - m.next_event_ms) / 1000.0 * m.rate
        if due > cfg.max_events_per_advance:
            m.next_event_ms = now - cfg.max_events_per_advance / m.rate * 1000.0
        m.step(now, lambda buy, vol, t: e.synthetic_take(sym, buy, vol, t))
        if now - st.last_refresh >= 1000:
            st.last_refresh = now
            self._refresh(sym, m, st, now, out)
        if m.settle_due(now):
            triggers.settle_funding(e, sym, now)
        if m.new_deals:
            out.append(
                Publication("deal", sym, [dict(d, cts=str(d["t"])) for d in m.new_deals], None, now)
            )
            m.new_deals = []
            for interval in cfg.kline_intervals:
                row = m.kline_last.push_row(sym, interval)
                if row is not None:
                    out.append(Publication("kline", sym, row, None, now))
        self._publish_depth(sym, book, st, now, out)

    def _refresh(
        self, sym: str, m: SymbolMarket, st: _SymState, now: int, out: list[Publication]
    ) -> None:
        e = self.engine
        m.refresh_prices(now)
        triggers.check_liquidations(e, sym, now)
        out.append(
            Publication("index.price", sym, {"symbol": sym, "price": m.index_price}, None, now)
        )
        out.append(
            Publication("fair.price", sym, {"symbol": sym, "price": m.fair_price}, None, now)
        )
        out.append(Publication("ticker", sym, ticker_row(e, sym, now, True), None, now))
        if m.funding_rate != st.last_funding_rate and now - st.last_funding_push >= 60_000:
            st.last_funding_rate = m.funding_rate
            st.last_funding_push = now
            out.append(
                Publication(
                    "funding.rate",
                    sym,
                    {"symbol": sym, "rate": m.funding_rate, "nextSettleTime": m.next_settle_ms},
                    None,
                    now,
                )
            )

    def _publish_depth(
        self, sym: str, book: OrderBook, st: _SymState, now: int, out: list[Publication]
    ) -> None:
        cfg = self.config
        commits = book.drain()
        if commits:
            self.engine.truth.last_published[sym] = commits[-1].version
            c = self.engine.contracts[sym]
            if cfg.publish_unmerged:
                for cm in commits:
                    level = [[c.price(cm.ticks), cm.vol, cm.count]]
                    data = {
                        "cts": cm.cts,
                        "asks": level if cm.side == ASK else [],
                        "bids": level if cm.side == BID else [],
                        "version": cm.version,
                    }
                    out.append(Publication("depth", sym, data, None, now))
            st.merge_buf.extend(commits)
        if st.merge_buf and now - st.last_merge >= cfg.merge_interval_ms:
            out.append(self._merged(sym, st.merge_buf, now))
            st.merge_buf = []
            st.last_merge = now
        if now - st.last_full >= cfg.full_interval_ms and book.version != st.last_full_version:
            st.last_full = now
            st.last_full_version = book.version
            out.append(Publication("depth.full", sym, self._full(sym, book, now), None, now))

    def _merged(self, sym: str, commits: list[Commit], now: int) -> Publication:
        frame = merged_frame(commits, self.engine.contracts[sym].price)
        data = {
            "cts": commits[-1].cts,
            "asks": frame["asks"],
            "bids": frame["bids"],
            "end": frame["end"],
            "begin": frame["begin"],
            "version": frame["version"],
        }
        return Publication("depth.merged", sym, data, None, now)

    def _full(self, sym: str, book: OrderBook, now: int) -> dict[str, Any]:
        c = self.engine.contracts[sym]
        n = self.config.full_depth_limit
        return {
            "cts": book.timestamp or now,
            "asks": [[c.price(p), v, k] for p, v, k in book.top(ASK, n)],
            "bids": [[c.price(p), v, k] for p, v, k in book.top(BID, n)],
            "version": book.version,
        }

    def _changed_tickers(self, now: int) -> list[dict[str, Any]]:
        rows = []
        for sym, m in self.engine.markets.items():
            st = self._sym[sym]
            key = (m.last_price, m.fair_price, m.index_price, m.vol24_live)
            if key != st.last_tickers_key:
                st.last_tickers_key = key
                rows.append(m.tickers_row(now))
        return rows

    def tickers_snapshot(self) -> list[dict[str, Any]]:
        """Every ``push.tickers`` row (for a new subscriber's first frame)."""
        self._ensure()
        return [m.tickers_row(self.now_ms) for m in self.engine.markets.values()]

    # ------------------------------------------------------------------- burst
    def burst(self, symbol: str, n_changes_per_frame: int, n_frames: int) -> list[Publication]:
        """Apply ``n_changes_per_frame × n_frames`` level changes to the real book, fast.

        Returns consecutive ``depth.merged`` publications (``begin == previous end + 1``), the
        first one also covering any not yet published versions, so REST snapshots,
        ``depth_commits`` and ``book_at`` stay consistent with what was pushed.
        """
        self._ensure()
        e = self.engine
        sym = self.contract(symbol).symbol
        book, m, st = e.books[sym], e.markets[sym], self._sym[sym]
        now = e.now_ms
        pending = st.merge_buf + book.drain()
        st.merge_buf = []
        out: list[Publication] = []
        rng = m.rng
        for _ in range(n_frames):
            for _ in range(n_changes_per_frame):
                self._burst_change(m, book, rng.random(), now)
            pending += book.drain()
            out.append(self._merged(sym, pending, now))
            pending = []
        if out:
            e.truth.last_published[sym] = book.version
        st.last_merge = now
        return out

    def _burst_change(self, m: SymbolMarket, book: OrderBook, r: float, now: int) -> None:
        side = BID if r < 0.5 else ASK
        n = book.depth_count(side)
        if r < 0.1 or r > 0.9 or n < 5:
            bid, ask = book.best_bid(), book.best_ask()
            if bid is None or ask is None:
                m.add_maker(side, int(m.mid) - (1 if side == BID else -1), m._synth_vol(), now)
                return
            ticks = bid - m.rng.randint(0, 15) if side == BID else ask + m.rng.randint(0, 15)
            m.add_maker(side, ticks, m._synth_vol(), now)
            if n > m.levels * 2:
                worst = (book.bids if side == BID else book.asks)[book.price_at(side, n - 1)]
                synth = next((o for o in worst.orders if o.owner is None), None)
                if synth is not None:
                    book.remove(synth.order_id, now)
            return
        levels = book.bids if side == BID else book.asks
        level = levels[book.price_at(side, min(int(r * 40) % n, n - 1))]
        order = next((o for o in level.orders if o.owner is None), None)
        if order is None:
            return
        if len(level.orders) > 1 and (r * 1000) % 1 < 0.3:
            book.remove(order.order_id, now)
        else:
            book.resize(order.order_id, max(1, order.vol + m.rng.randint(-order.vol + 1, 50)), now)

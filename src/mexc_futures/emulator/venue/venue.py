"""The sans-I/O emulator core: ``Venue`` (docs/seams.md "Emulator core").

``Venue(VenueConfig)`` owns the contract catalogue, one order book and synthetic market per symbol,
the accounts and the trading engine. The async server calls two things:

* ``handle(method, template, path_params, query, body, account)`` — one REST call (spec §4, §5),
  returning the JSON-ready ``data`` (or ``NO_DATA``) or raising ``VenueError(code, message)``.
  Venue time for the call is ``now_ms=`` when given (the server passes its venue clock on every
  call), else the time of the last ``advance``; it never goes backwards. Private templates answer
  401 unless ``account`` was added (``VenueConfig.accounts`` or ``add_account``).
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

import contextlib
import logging
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import mexc_futures.emulator.market.depth_feed as depth_feed
import mexc_futures.emulator.venue.history as history
import mexc_futures.emulator.venue.liquidation as liquidation
import mexc_futures.emulator.venue.track as track
import mexc_futures.emulator.venue.triggers as triggers
from mexc_futures.emulator.market.calibration import FlowProfile, calibrated, light
from mexc_futures.emulator.market.klines import INTERVALS
from mexc_futures.emulator.market.market import SymbolMarket, symbol_seed
from mexc_futures.emulator.venue.accounts import HEDGE, Account
from mexc_futures.emulator.venue.codes import NO_DATA, VenueError, fail
from mexc_futures.emulator.venue.contracts import Contract, build_contracts, set_position_open_types
from mexc_futures.emulator.venue.engine import Engine, Publication
from mexc_futures.emulator.venue.handlers_account import ROUTES as ACCOUNT_ROUTES
from mexc_futures.emulator.venue.handlers_fees import ROUTES as FEE_ROUTES
from mexc_futures.emulator.venue.handlers_orders import ROUTES as ORDER_ROUTES
from mexc_futures.emulator.venue.handlers_plans import ROUTES as PLAN_ROUTES
from mexc_futures.emulator.venue.handlers_public import ROUTES as PUBLIC_ROUTES
from mexc_futures.emulator.venue.handlers_public import Handler, Req, ticker_row
from mexc_futures.emulator.venue.matching import OrderBook
from mexc_futures.emulator.venue.money import booked
from mexc_futures.emulator.venue.rules import VenueRules
from mexc_futures.emulator.venue.sizes import memory_sizes
from mexc_futures.emulator.venue.track import ROUTES as TRACK_ROUTES
from mexc_futures.emulator.venue.truth import VenueTruth

__all__ = ["NO_DATA", "Publication", "Venue", "VenueConfig", "VenueError"]

DEFAULT_START_MS = 1_789_000_000_000
FAILURE_LOG_INTERVAL_MS = 60_000  # one traceback per failing step and minute of venue time
COMMITS_BUDGET = 300_000  # depth commits kept over all symbols (``depth_commits``, ``book_at``)
RING_MIN = 1_000  # ... and at least this many per symbol (``depth_commits`` answers ≤ 1000)
log = logging.getLogger(__name__)
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
    flow_rate: float | None = 5.0  # events/s per symbol (light profile); None: calibrated market
    flow_rates: dict[str, float] = field(default_factory=dict)
    book_levels: int = 30  # price levels per side of the light profile
    jump_rate: float = 0.0  # price jumps per day per symbol (off by default)
    jump_sigma: float = 0.02  # standard deviation of a jump (fraction of the price)
    rules: VenueRules = field(default_factory=VenueRules)  # conflicting-evidence switches
    ring_size: int = 5000  # depth commits kept per symbol, within COMMITS_BUDGET over all
    publish_unmerged: bool = True
    merge_interval_ms: int = 200
    full_interval_ms: int = 300
    full_depth_limit: int = 50
    ticker_interval_ms: int = 1000
    api_disallowed: tuple[str, ...] = ()
    position_open_types: dict[str, int] = field(default_factory=dict)  # symbol -> 1/2/3 (row 10)
    reject_duplicate_external_oid: bool = True
    rest_lag_versions: int = 0
    max_events_per_advance: int = 5000
    position_mode: int = HEDGE
    kline_intervals: tuple[str, ...] = tuple(INTERVALS)
    #: builds each symbol's market instead of the synthetic ``SymbolMarket`` (``emulator
    #: --replay``: ``market.replay_market.recorded_factory``); called as (engine, contract,
    #: book, now_ms)
    market_factory: Callable[[Engine, Contract, OrderBook, int], SymbolMarket] | None = None
    #: contracts that replace the catalogue's (or the synthetic stand-in for a name it does not
    #: list), by symbol: a recording's own (``market.recorded_contracts``)
    contracts: dict[str, Contract] = field(default_factory=dict)


@dataclass
class _SymState(depth_feed.DepthState):
    last_refresh: int = 0
    last_funding_push: int = -(10**12)
    last_funding_rate: float | None = None
    last_tickers_key: tuple[float, ...] = ()


class Venue:
    """The emulated exchange core; see the module docstring."""

    def __init__(self, config: VenueConfig | None = None) -> None:
        self.config = cfg = config or VenueConfig()
        contracts = build_contracts(cfg.n_contracts, cfg.symbols, cfg.api_disallowed)
        contracts.update({s: c for s, c in cfg.contracts.items() if s in contracts})
        set_position_open_types(contracts, cfg.position_open_types)  # row 10
        self.engine = Engine(
            contracts, cfg.seed, cfg.start_ms or 0, cfg.reject_duplicate_external_oid
        )
        self.engine.rules = cfg.rules
        self.truth = VenueTruth(self.engine)
        self._routes: dict[tuple[str, str], tuple[Handler, list[str]]] = {}
        for table in (
            PUBLIC_ROUTES, ORDER_ROUTES, ACCOUNT_ROUTES, PLAN_ROUTES, FEE_ROUTES, TRACK_ROUTES
        ):
            for (method, template), handler in table.items():
                self._routes[(method, _PARAM.sub("{}", template))] = (
                    handler,
                    _PARAM.findall(template),
                )
        self._sym: dict[str, _SymState] = {s: _SymState() for s in contracts}
        self._started = False
        self._last_tickers = 0
        self._last_prune = 0
        self._refreshed: list[str] = []
        self.tick_failures = 0
        self._paused: dict[str, float] = {}  # symbol -> event rate before ``pause``
        # set by the server: depth frames nobody subscribes to are not built (None: build all)
        self.wants: depth_feed.Wants | None = None
        self._failure_logged: dict[tuple[str, str], int] = {}
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
        # the commit rings share one budget (reliability D7: a whole-market venue kept growing)
        ring = max(RING_MIN, min(cfg.ring_size, COMMITS_BUDGET // max(len(e.contracts), 1)))
        for rank, (sym, c) in enumerate(e.contracts.items()):
            start_version = symbol_seed(cfg.seed, sym) % 9_000_000_000 + 1_000_000_000
            book = OrderBook(start_version, ring)
            e.books[sym] = book
            if cfg.market_factory is not None:
                e.markets[sym] = cfg.market_factory(e, c, book, now_ms)
            else:
                e.markets[sym] = SymbolMarket(c, book, cfg.seed, self._profile(c, rank), now_ms)
            book.drain()  # the seeded book is the starting state, not news
            st = self._sym[sym]
            st.last_merge = st.last_full = st.last_refresh = now_ms
            st.last_full_version = book.version
            e.truth.first_published[sym] = book.version + 1
            e.truth.last_published[sym] = book.version
        self._last_tickers = now_ms
        self._started = True

    def _profile(self, c: Contract, rank: int) -> FlowProfile:
        cfg = self.config
        rate = cfg.flow_rates.get(c.symbol, cfg.flow_rate)
        profile = calibrated(c, rank) if rate is None else light(cfg.book_levels, rate)
        if cfg.jump_rate > 0:
            profile = replace(profile, jump_rate=cfg.jump_rate, jump_sigma=cfg.jump_sigma)
        return profile

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
        """Create (or return) the account of ``api_key`` with the configured balance.

        The only way an account comes into being: ``handle`` answers 401 for any other key.
        """
        acct = self.engine.accounts.get(api_key)
        if acct is None:
            acct = Account(api_key, secret, read_only, position_mode=self.config.position_mode)
            acct.cash[self.config.currency] = booked(self.config.balance)
            self.engine.accounts[api_key] = acct
        return acct

    def account(self, api_key: str) -> Account:
        """The account of ``api_key``; ``VenueError(401)`` when it was never added."""
        acct = self.engine.accounts.get(api_key)
        if acct is None:
            raise fail(401, "Unauthorized")
        return acct

    def set_balance(self, account: str, currency: str, amount: float | Decimal | str) -> None:
        """Set the wallet balance (booked to 8 decimals) and push ``personal.asset``."""
        acct = self.account(account)
        acct.cash[currency.upper()] = booked(Decimal(str(amount)))
        self._ensure()
        self.engine.push_asset(acct, currency.upper())

    def reset_account(self, api_key: str) -> Account:
        """A fresh account under the same key (tester control): its resting orders leave the
        book, plans, stops, positions and history are forgotten, the balance is the configured
        one. Pushes ``personal.order`` (cancelled) for each open order and ``personal.asset``."""
        self._ensure()
        old = self.account(api_key)
        for order in old.open_orders():
            self.engine.cancel(old, order.order_id, self.now_ms)
        fresh = Account(api_key, old.secret, old.read_only, position_mode=self.config.position_mode)
        fresh.cash[self.config.currency] = booked(self.config.balance)
        self.engine.accounts[api_key] = fresh
        self.engine.push_asset(fresh, self.config.currency)
        return fresh

    def pause(self, symbol: str | None = None, paused: bool = True) -> list[str]:
        """Freeze (or resume) the synthetic market of ``symbol`` (every symbol when ``None``):
        no price moves, no synthetic trades; user orders still trade with each other and with
        the frozen book. Returns the symbols affected."""
        self._ensure()
        names = [self.contract(symbol).symbol] if symbol else list(self.engine.contracts)
        for sym in names:
            m = self.engine.markets[sym]
            if paused and m.rate > 0:
                self._paused[sym] = m.rate
                m.set_rate(0.0, self.now_ms)
            elif not paused and sym in self._paused:
                m.set_rate(self._paused.pop(sym), self.now_ms)
        return names

    def set_api_allowed(self, symbol: str, allowed: bool) -> None:
        """Toggle ``apiAllowed`` (1002 on order placement when false) and publish ``contract``."""
        c = self.contract(symbol)
        c.api_allowed = allowed
        self.engine.pubs.append(Publication("contract", c.symbol, c.detail(), None, self.now_ms))

    def set_position_open_type(self, symbol: str, value: int) -> None:
        """Set a contract's ``positionOpenType`` (fidelity row 10; what it allows depends on
        ``VenueRules.position_open_type``)."""
        self.contract(symbol).position_open_type = int(value)

    def set_rest_lag(self, symbol: str, versions: int) -> None:
        """Make REST ``depth`` answer the book ``versions`` versions old (S13)."""
        self.engine.rest_lag[self.contract(symbol).symbol] = max(0, versions)

    def set_flow_rate(self, symbol: str, rate: float) -> None:
        """Change a symbol's synthetic event rate (events per second of venue time)."""
        self._ensure()
        self.engine.markets[self.contract(symbol).symbol].set_rate(rate, self.now_ms)

    def shock(
        self, symbol: str, move: float = 0.0, pull: float = 0.0, duration_ms: int = 60_000
    ) -> None:
        """Inject a liquidity shock (the ``shock`` fault): the fair value jumps by ``move``
        (fraction, e.g. ``-0.05``) and the crowd withdraws ``pull`` of its levels for
        ``duration_ms`` of venue time. Never happens by itself."""
        if not (math.isfinite(move) and math.isfinite(pull)) or move <= -0.99:
            raise ValueError("move must be a finite fraction above -0.99, pull a finite fraction")
        self._ensure()
        m = self.engine.markets[self.contract(symbol).symbol]
        m.shock(move, pull, duration_ms, self.now_ms)

    def move_price(self, symbol: str, price: float) -> None:
        """Move the fair value of ``symbol`` to ``price`` at once (a shock without pull-back)."""
        self._ensure()
        m = self.engine.markets[self.contract(symbol).symbol]
        target = price / m.contract.price_unit
        if not math.isfinite(target) or target <= 2:
            raise ValueError("price must be a positive finite price")
        m.shock(target / m.mid - 1.0, 0.0, 0, self.now_ms)

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
        server_ms: int | None = None,
    ) -> Any:
        """Serve one REST call (see the module docstring). ``server_ms`` is the clock signatures
        are checked against; ``ping`` answers it (reliability D10: one clock for both)."""
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
        acct = self.engine.accounts.get(account) if account is not None else None
        if key[1].startswith("/api/v1/private") and acct is None:
            raise fail(401, "Unauthorized")
        extra: dict[str, Any] = {"template": template}
        if server_ms is not None:
            extra["server_ms"] = server_ms
        req = Req(path, dict(query or {}), body, acct, self.engine.now_ms, extra)
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
        # One failing symbol, liquidation or account never stops the tick for the others
        # (reliability D6): each step is isolated and its failure logged (rate-limited).
        for sym in e.contracts:
            try:  # inline, not the context manager: this loop runs ~800 × 100 times a second
                self._advance_symbol(sym, now, out)
            except Exception:
                self._failed("symbol", sym, now)
        # after every symbol's fair price moved: cross liquidation prices depend on all of them
        for sym in self._refreshed:
            with self._isolated("liquidation", sym, now):
                liquidation.check_liquidations(e, sym, now)
        self._refreshed.clear()
        for acct in list(e.accounts.values()):
            if acct.plans:
                with self._isolated("plans", acct.api_key, now):
                    triggers.check_plans(e, acct, now)
            if acct.stops:
                with self._isolated("stops", acct.api_key, now):
                    triggers.check_stops(e, acct, now)
            if acct.tracks:
                with self._isolated("tracks", acct.api_key, now):
                    track.check_tracks(e, acct, now)
        if now - self._last_prune >= history.PRUNE_EVERY_MS:  # bounded history (issue #14)
            self._last_prune = now
            for acct in list(e.accounts.values()):
                with self._isolated("history", acct.api_key, now):
                    history.prune(acct, e.truth, now)
        if now - self._last_tickers >= self.config.ticker_interval_ms:
            self._last_tickers = now
            rows = self._changed_tickers(now)
            if rows:
                out.append(Publication("tickers", None, rows, None, now))
        out.extend(self.drain())
        return out

    @contextlib.contextmanager
    def _isolated(self, what: str, key: str, now: int) -> Iterator[None]:
        try:
            yield
        except Exception:
            self._failed(what, key, now)

    def _failed(self, what: str, key: str, now: int) -> None:
        """Count and log (once a minute per step) a failure inside ``advance``."""
        self.tick_failures += 1
        last = self._failure_logged.get((what, key))
        if last is None or now - last >= FAILURE_LOG_INTERVAL_MS:
            self._failure_logged[(what, key)] = now
            log.exception("emulator: %s %s failed in advance (the tick goes on)", what, key)

    def _advance_symbol(self, sym: str, now: int, out: list[Publication]) -> None:
        e, cfg, st = self.engine, self.config, self._sym[sym]
        m = e.markets[sym]
        book = e.books[sym]
        if (
            m.idle(now)
            and now - st.last_refresh < 1000
            and not book.pending
            and not st.merge_buf
            and m.next_settle_ms > now
            and (
                book.version == st.last_full_version
                or (self.wants is not None and not self.wants("depth.full", sym))
            )
        ):
            return  # a quiet symbol costs one check per tick (the ~800-contract market)
        due = (now - m.next_event_ms) / 1000.0 * m.rate
        if due > cfg.max_events_per_advance:
            m.next_event_ms = now - cfg.max_events_per_advance / m.rate * 1000.0
        m.step(now, lambda buy, vol, t, limit: e.synthetic_take(sym, buy, vol, t, limit))
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
        depth_feed.publish(self.engine, cfg, sym, book, st, now, out, self.wants)

    def _refresh(
        self, sym: str, m: SymbolMarket, st: _SymState, now: int, out: list[Publication]
    ) -> None:
        e = self.engine
        m.refresh_prices(now)
        self._refreshed.append(sym)
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

    def _changed_tickers(self, now: int) -> list[dict[str, Any]]:
        rows = []
        for sym, m in self.engine.markets.items():
            st = self._sym[sym]
            key = (m.last_price, m.fair_price, m.index_price, m.vol24_live)
            if key != st.last_tickers_key:
                st.last_tickers_key = key
                rows.append(m.tickers_row(now))
        return rows

    def memory_sizes(self) -> dict[str, Any]:
        """Lengths of every structure the venue keeps (``venue/sizes.py``; the memory probe)."""
        return memory_sizes(self.engine)

    def tickers_snapshot(self) -> list[dict[str, Any]]:
        """Every ``push.tickers`` row (for a new subscriber's first frame)."""
        self._ensure()
        return [m.tickers_row(self.now_ms) for m in self.engine.markets.values()]

    # ------------------------------------------------------------------- burst
    def burst(self, symbol: str, n_changes_per_frame: int, n_frames: int) -> list[Publication]:
        """Apply ``n_changes_per_frame × n_frames`` level changes to the real book, fast.

        Returns consecutive ``depth.merged`` publications (``depth_feed.burst``).
        """
        self._ensure()
        sym = self.contract(symbol).symbol
        return depth_feed.burst(self.engine, sym, self._sym[sym], n_changes_per_frame, n_frames)

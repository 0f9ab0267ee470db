"""``RecordedMarket``: the emulator's market is a recording (issue #17; design
record-replay-bus.md §1.4 "Replay into the emulator: fill rules").

It is a ``SymbolMarket`` without synthetic flow (rate 0, no seeded book): every recorded level is
*crowd* volume in the venue's own price-time ``OrderBook``, so user orders rest, match, pay fees
and move margin through the unchanged engine, with MEXC's codes for every rejection (post-only
20, IOC/FOK remainders, price bands, 2005, 510). Per tape event (``tape.Levels`` / ``Print`` /
``Ref``, at the recorder's receive time):

* **Level update** (absolute size): with no user order at the price, the crowd is set to the
  recorded size. With user orders there, an increase joins **behind** them; a decrease is split by
  the queue model (``queue.QueueModel``): risk-averse takes it from behind first (the user's
  queue position only improves when the level falls below it), ``prob:N`` splits it with
  ``f(x) = x**N``, ``front`` empties the crowd ahead. A recorded ask at or below a user bid (a
  crossed book) fills that bid at its own price as maker first (hftbacktest #158's rule).
* **Print** (a recorded trade): the crowd taker sweeps the venue book up to the print's price for
  the print's volume: the crowd ahead of a user order goes first, then the user order (maker,
  partial fills allowed), then the crowd behind; a print through a user order's price fills it
  whole. Liquidity a user taker order consumed stays gone until that level's next recorded update
  overwrites it (absolute sizes): the documented no-lasting-impact approximation.
* **Ref**: fair price, index price and funding rate are the recorded ones (liquidation and
  funding settle on them; settlement times come from ``push.funding.rate`` when recorded).

Known approximation (as hftbacktest's risk-averse model): when MEXC pushes the depth decrease
caused by a trade *before* the trade itself, that volume is counted twice against the crowd
ahead. The fill-model error against the emulator's exact FIFO is what acceptance check A10
measures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mexc_futures.emulator.market.calibration import light
from mexc_futures.emulator.market.crowd import TakeFn
from mexc_futures.emulator.market.market import SymbolMarket
from mexc_futures.emulator.market.queue import FrontOfQueue, Prob, QueueModel, RiskAverse
from mexc_futures.emulator.market.tape import Event, Levels, Print, Ref
from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.matching import ASK, BID, OrderBook, Resting

if TYPE_CHECKING:
    from mexc_futures.emulator.venue.engine import Engine

_CROWD_ID0 = 1 << 52  # crowd order ids: far above any user order id


class RecordedMarket(SymbolMarket):
    """One symbol's market replayed from ``events``; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        contract: Contract,
        book: OrderBook,
        events: list[Event],
        now_ms: int,
        model: QueueModel | None = None,
    ) -> None:
        super().__init__(contract, book, 0, light(1, 0.0), now_ms)
        for oid in list(book.orders):  # no synthetic ladder: the recording is the book
            book.remove(oid, now_ms)
        self.rate = 0.0
        self.engine = engine
        self.events = events
        self.pos = 0
        self.model: QueueModel = model or RiskAverse()
        self.next_event_ms = float("inf")  # no synthetic flow
        self._crowd_seq = _CROWD_ID0
        self.prints = 0
        #: user fills (contracts) by rule: "queue" (a print at the order's price reached it),
        #: "through" (a print beyond its price), "crossed" (the recorded book crossed it)
        self.user_fills: dict[str, int] = {"queue": 0, "through": 0, "crossed": 0}
        first = next((e for e in events if isinstance(e, Print)), None)
        ref = next((e for e in events if isinstance(e, Ref) and e.fair is not None), None)
        start = first.price if first else (ref.fair if ref and ref.fair else contract.start_price)
        self.last_price = start
        self.fair_price = ref.fair if ref and ref.fair else start
        self.index_price = ref.index if ref and ref.index else start
        self.high_live = self.low_live = start
        self.mid = float(contract.ticks(start))
        self.step(now_ms, _no_take)

    @property
    def done(self) -> bool:
        """Every recorded event has been applied."""
        return self.pos >= len(self.events)

    # ------------------------------------------------------------------ the tape
    def idle(self, now_ms: int) -> bool:
        """No recorded event is due at ``now_ms``."""
        return self.pos >= len(self.events) or self.events[self.pos].t > now_ms

    def step(self, now_ms: int, take: TakeFn) -> None:
        """Apply every recorded event up to ``now_ms`` (``take`` is unused: prints are ours)."""
        events = self.events
        while self.pos < len(events) and events[self.pos].t <= now_ms:
            ev = events[self.pos]
            self.pos += 1
            if isinstance(ev, Levels):
                self._levels(ev)
            elif isinstance(ev, Print):
                self._print(ev)
            else:
                self._ref(ev)
        self.now_ms = max(self.now_ms, now_ms)

    def refresh_prices(self, now_ms: int) -> None:
        """Recorded prices are set by the tape; only the index/fair klines move here."""
        t = now_ms // 1000
        self.kline_index.update(t, self.index_price)
        self.kline_fair.update(t, self.fair_price)
        minute = t - t % 60
        if not self._min1_closes or self._min1_closes[-1][0] != minute:
            self._min1_closes.append((minute, self.last_price))

    def _ref(self, ev: Ref) -> None:
        if ev.fair is not None:
            self.fair_price = ev.fair
        if ev.index is not None:
            self.index_price = ev.index
        if ev.funding_rate is not None:
            self.funding_rate = ev.funding_rate
        if ev.next_settle_ms is not None:
            self.next_settle_ms = ev.next_settle_ms

    def _print(self, ev: Print) -> None:
        c = self.contract
        ticks = c.ticks(ev.price)
        vol = max(1, round(ev.vol))
        e = self.engine
        book = self.book
        # a print at p means every level better than p was gone first: sweep them whole
        resting = book.asks if ev.buy else book.bids
        better = [lv.vol for q, lv in resting.items() if (q < ticks if ev.buy else q > ticks)]
        through = book.match(ev.buy, ticks - 1 if ev.buy else ticks + 1, sum(better), ev.t) \
            if better else []
        for rule, fills in (("through", through), ("queue", book.match(ev.buy, ticks, vol, ev.t))):
            for f in fills:
                if f.maker.owner is not None:
                    self.user_fills[rule] += f.vol
                    e.maker_fill(f, ev.t, False)
        self.prints += 1
        e.truth.deals_of(c.symbol).append(self.record_trade(ticks, vol, ev.buy, ev.t))

    # ------------------------------------------------------------------ levels
    def _levels(self, ev: Levels) -> None:
        c = self.contract
        book = self.book
        t = ev.t
        if ev.snapshot:
            keep = {(BID, c.ticks(p)) for p, v in ev.bids if v > 0}
            keep |= {(ASK, c.ticks(p)) for p, v in ev.asks if v > 0}
            for side, levels in ((BID, book.bids), (ASK, book.asks)):
                for ticks in [p for p in levels if (side, p) not in keep]:
                    self._set(side, ticks, 0, t)
        changes = [(BID, c.ticks(p), round(v)) for p, v in ev.bids]
        changes += [(ASK, c.ticks(p), round(v)) for p, v in ev.asks]
        # shrink first, then grow: a recorded frame never crosses, a half-applied one might
        changes.sort(key=lambda x: x[2] > self._crowd(x[0], x[1]))
        for side, ticks, vol in changes:
            self._set(side, ticks, vol, t)

    def _crowd(self, side: int, ticks: int) -> int:
        level = (self.book.bids if side == BID else self.book.asks).get(ticks)
        return 0 if level is None else sum(o.vol for o in level.orders if o.owner is None)

    def _new_crowd(self, side: int, ticks: int, vol: int) -> Resting:
        self._crowd_seq += 1
        return Resting(self._crowd_seq, None, side, ticks, vol)

    def _set(self, side: int, ticks: int, vol: int, t: int) -> None:
        """Make the crowd at ``(side, ticks)`` total ``vol`` (see the module docstring)."""
        book = self.book
        if vol > 0:
            self._cross_users(side, ticks, vol, t)
        level = (book.bids if side == BID else book.asks).get(ticks)
        if level is None:
            if vol > 0:
                book.add(self._new_crowd(side, ticks, vol), t)
            return
        orders = list(level.orders)
        crowd = [o for o in orders if o.owner is None]
        total = sum(o.vol for o in crowd)
        if vol == total:
            return
        if len(crowd) == len(orders):  # no user order here: one crowd order of the new size
            for o in crowd[1:]:
                book.remove(o.order_id, t)
            if crowd:
                book.resize(crowd[0].order_id, vol, t)
            elif vol > 0:
                book.add(self._new_crowd(side, ticks, vol), t)
            return
        if vol > total:  # joins behind everyone
            last = orders[-1]
            if last.owner is None:
                book.resize(last.order_id, last.vol + vol - total, t)
            else:
                book.add(self._new_crowd(side, ticks, vol - total), t)
            return
        first_user = next(i for i, o in enumerate(orders) if o.owner is not None)
        ahead = sum(o.vol for o in orders[:first_user] if o.owner is None)
        behind = total - ahead
        cut = total - vol
        from_ahead = self._from_ahead(ahead, behind, cut)
        self._shrink([o for o in orders[:first_user] if o.owner is None], from_ahead, t)
        self._shrink([o for o in orders[first_user:] if o.owner is None], cut - from_ahead, t)

    def _from_ahead(self, ahead: int, behind: int, cut: int) -> int:
        m = self.model
        if isinstance(m, FrontOfQueue):
            return min(ahead, cut)  # the optimistic bound: the crowd ahead leaves first
        if isinstance(m, Prob):
            fb, ff = behind**m.power, ahead**m.power
            p_back = fb / (fb + ff) if fb + ff > 0 else 1.0
            share = (1.0 - p_back) * cut + max(0.0, p_back * cut - behind)
            return max(0, min(ahead, cut, round(share)))
        return max(0, cut - behind)  # risk-averse: behind absorbs all it can

    def _shrink(self, crowd: list[Resting], cut: int, t: int) -> None:
        """Take ``cut`` from ``crowd``, nearest to the user orders first (back to front)."""
        for o in reversed(crowd):
            if cut <= 0:
                return
            take = min(cut, o.vol)
            cut -= take
            self.book.resize(o.order_id, o.vol - take, t)

    def _cross_users(self, side: int, ticks: int, vol: int, t: int) -> None:
        """Recorded crowd at a price that crosses user orders: they fill at their own prices
        (as makers); stale crowd on the other side at crossing prices is dropped."""
        book = self.book
        opposite = book.asks if side == BID else book.bids
        crossing = [p for p in opposite if (p <= ticks if side == BID else p >= ticks)]
        if not crossing:
            return
        e = self.engine
        for p in sorted(crossing, reverse=side == ASK):
            for o in list(opposite[p].orders) if p in opposite else []:
                if o.owner is None:
                    book.remove(o.order_id, t)
        is_buy = side == BID
        for f in book.match(is_buy, ticks, vol, t):
            if f.maker.owner is not None:
                self.user_fills["crossed"] += f.vol
                e.maker_fill(f, t, False)


def _no_take(_buy: bool, _vol: int, _t: int, _limit: int | None = None) -> None:
    return None


def recorded_factory(
    tape_events: dict[str, list[Event]],
    model: QueueModel | None = None,
    terms: dict[str, dict[str, float]] | None = None,
    fees: dict[str, float] | None = None,
) -> Callable[[Engine, Contract, OrderBook, int], SymbolMarket]:
    """A ``VenueConfig.market_factory`` that replays ``tape_events`` per symbol.

    ``terms`` (``tape.contract_terms`` of the manifest) set each contract's units, limits and fee
    rates to the recorded ones; ``fees`` (``{"maker_fee_rate": r, "taker_fee_rate": r}``, the
    CLI's ``--fees``) override the rates for every symbol (an account's own tier).
    """

    def make(engine: Engine, contract: Contract, book: OrderBook, now_ms: int) -> SymbolMarket:
        for name, value in {**(terms or {}).get(contract.symbol, {}), **(fees or {})}.items():
            setattr(contract, name, value)
        return RecordedMarket(engine, contract, book, tape_events.get(contract.symbol, []),
                              now_ms, model)

    return make


__all__ = ["RecordedMarket", "recorded_factory"]

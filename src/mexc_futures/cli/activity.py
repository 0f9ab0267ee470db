"""The activity log of a strategy run: one entry per event a person cares about.

Entries (``Entry``): every order *decision* with its reason and outcome (``ORDER``: what the
strategy asked, the label it gave as reason, accepted with the venue id or refused with why),
order ends (``DONE``: filled / cancelled / invalid), fills (``FILL``), position changes (``POS``),
the kill switch (``KILL``), strategy errors (``ERROR``, with file:line), engine warnings
(``WARN``), connection and book-sync changes (``HEALTH``) and the strategy's own status line
(``STATUS``, e.g. "warming up 37/100 trades"). ux-audit findings 4 and 7.

``Activity`` turns events into entries and hands each to every sink: ``--plain`` prints
``Entry.line()`` on stdout (one line per event, greppable, no box drawing), ``--log-file`` writes
it through the ``mexc_futures.activity`` logger (text, or JSON with ``Entry.fields``), and the
dashboard shows the newest ones. Numbers are formatted to the contract's tick and volume step
(``decimals(symbol)``). Nothing here does I/O; time comes from ``now_ms``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from mexc_futures.cli import fmt
from mexc_futures.cli.cond_fmt import describe as describe_conditional
from mexc_futures.model.events import (
    AccountEvent,
    BookResync,
    BookUpdate,
    ConnectionState,
    Fill,
    KillSwitchTripped,
    MarketEvent,
    OrderUpdate,
    PositionUpdate,
)
from mexc_futures.model.intents import (
    AmendOrder,
    CancelAll,
    CancelOrder,
    ClosePosition,
    Intent,
    PlaceOrder,
)
from mexc_futures.strategy.engine import HealthReport

log = logging.getLogger("mexc_futures.activity")

SIDES = {1: "open long", 2: "close short", 3: "open short", 4: "close long"}
KINDS = {1: "limit", 2: "post-only", 3: "ioc", 4: "fok", 5: "market", 6: "market-to-limit"}
STATES = {1: "pending", 2: "open", 3: "filled", 4: "cancelled", 5: "invalid"}
ERROR_KINDS = frozenset({"handler_error", "bad_intent", "strategy_failed", "intent_failed"})


@dataclass(frozen=True)
class Entry:
    """One line of the activity log."""

    time_ms: int
    kind: str  # ORDER, DONE, FILL, POS, KILL, ERROR, WARN, HEALTH, STATUS
    text: str
    fields: dict[str, object] = field(default_factory=dict)

    def clock(self) -> str:
        """``HH:MM:SS.mmm`` (UTC) of the entry."""
        secs, ms = divmod(self.time_ms, 1000)
        return time.strftime("%H:%M:%S", time.gmtime(secs)) + f".{ms:03d}"

    def line(self) -> str:
        """``12:00:01.250 FILL   BTC_USDT open long 1 @ 84,000.1 maker ...``."""
        return f"{self.clock()} {self.kind:<6} {self.text}"


Sink = Callable[[Entry], None]
Decimals = Callable[[str], tuple[int, int]]  # symbol -> (price decimals, volume decimals)


class Activity:
    """Events in, entries out to every sink (see the module docstring)."""

    def __init__(self, decimals: Decimals, now_ms: Callable[[], int]) -> None:
        self.decimals = decimals
        self.now_ms = now_ms
        self.sinks: list[Sink] = []
        self._order_state: dict[str, int] = {}
        self._positions: dict[tuple[str, int], Decimal] = {}
        self._synced: dict[str, bool] = {}
        self._status: str | None = None
        self.counts: dict[str, int] = {}
        self.closing = False  # set once the run is over: connection changes are not reported

    def emit(self, kind: str, text: str, **fields: object) -> None:
        """Send one entry to every sink."""
        entry = Entry(self.now_ms(), kind, text, {"event": kind.lower(), **fields})
        self.counts[kind] = self.counts.get(kind, 0) + 1
        for sink in self.sinks:
            sink(entry)

    # ------------------------------------------------------------------ order decisions

    def _px(self, symbol: str, x: Decimal | None) -> str:
        return fmt.price(x, self.decimals(symbol)[0])

    def _vol(self, symbol: str, x: Decimal) -> str:
        return fmt.vol(x, self.decimals(symbol)[1])

    def describe(self, intent: Intent) -> str:
        """What the strategy asked, in words: ``place BTC_USDT open long 1 @ 84,000.1 limit``."""
        match intent:
            case PlaceOrder():
                at = "" if intent.price is None else f" @ {self._px(intent.symbol, intent.price)}"
                kind = KINDS.get(int(intent.kind), str(intent.kind))
                return (
                    f"place {intent.symbol} {SIDES.get(int(intent.side), '?')} "
                    f"{self._vol(intent.symbol, intent.vol)}{at} {kind}"
                )
            case CancelOrder():
                return f"cancel {intent.symbol} order {intent.order_id or intent.external_oid}"
            case CancelAll():
                return f"cancel all {intent.symbol or 'contracts'}"
            case AmendOrder():
                sym = intent.symbol
                return (
                    f"amend {sym} order {intent.order_id} to "
                    f"{self._vol(sym, intent.vol)} @ {self._px(sym, intent.price)}"
                )
            case ClosePosition():
                what = "all" if intent.vol is None else self._vol(intent.symbol, intent.vol)
                side = "long" if intent.position_side == 1 else "short"
                return f"close {intent.symbol} {side} ({what}) at market"
            case _:
                return describe_conditional(intent)

    def decision(self, intent: Intent, outcome: object, ms: float) -> None:
        """One intent handed to the executor and what came of it (``outcome``: the result or
        the exception it raised)."""
        reason = getattr(intent, "label", "") or "-"
        what = self.describe(intent)
        if isinstance(outcome, BaseException):
            why = str(outcome) or type(outcome).__name__
            self.emit(
                "ORDER",
                f"{what} [{reason}] -> REFUSED: {why}",
                decision=what,
                reason=reason,
                outcome="refused",
                error=why,
                ms=round(ms, 3),
            )
            return
        order_id = getattr(outcome, "order_id", None)
        got = f"id {order_id}" if order_id else "ok"
        self.emit(
            "ORDER",
            f"{what} [{reason}] -> {got} ({ms:.1f} ms)",
            decision=what,
            reason=reason,
            outcome="accepted",
            order_id=order_id,
            ms=round(ms, 3),
        )

    # ------------------------------------------------------------------ account

    def account(self, event: AccountEvent) -> None:
        """Fills, order ends, position changes and the kill switch."""
        match event:
            case Fill():
                role = "taker" if event.is_taker else "maker"
                self.emit(
                    "FILL",
                    f"{event.symbol} {SIDES.get(event.side, '?')} "
                    f"{self._vol(event.symbol, event.vol)} @ {self._px(event.symbol, event.price)} "
                    f"{role}, fee {fmt.pnl(event.fee)} {event.fee_currency} "
                    f"(order {event.order_id})",
                    symbol=event.symbol,
                    side=SIDES.get(event.side, "?"),
                    vol=str(event.vol),
                    price=str(event.price),
                    fee=str(event.fee),
                    taker=event.is_taker,
                    order_id=event.order_id,
                )
            case OrderUpdate() if event.state >= 3:
                if self._order_state.get(event.order_id) == event.state:
                    return
                self._order_state[event.order_id] = event.state
                state = STATES.get(event.state, str(event.state))
                sym = event.symbol
                done = f"{self._vol(sym, event.deal_vol)}/{self._vol(sym, event.vol)}"
                avg = f" @ {self._px(sym, event.deal_avg_price)}" if event.deal_vol else ""
                self.emit(
                    "DONE",
                    f"{event.symbol} order {event.order_id} {state} {done}{avg}"
                    if event.state == 3
                    else f"{event.symbol} order {event.order_id} {state} after {done} filled{avg}",
                    symbol=event.symbol,
                    order_id=event.order_id,
                    state=state,
                    filled=str(event.deal_vol),
                )
            case PositionUpdate():
                key = (event.symbol, int(event.position_type))
                vol = event.hold_vol if event.state != 3 else Decimal(0)
                if self._positions.get(key, Decimal(0)) == vol:
                    return
                self._positions[key] = vol
                side = "long" if int(event.position_type) == 1 else "short"
                text = f"{event.symbol} {side} {self._vol(event.symbol, vol)}"
                if vol:
                    text += (
                        f" @ {self._px(event.symbol, event.hold_avg_price)}, liq "
                        f"{self._px(event.symbol, event.liquidate_price)}, "
                        f"{event.leverage}x"
                    )
                self.emit("POS", text, symbol=event.symbol, side=side, vol=str(vol))
            case KillSwitchTripped():
                self.emit("KILL", f"kill switch TRIPPED: {event.reason} {event.detail}".strip())
            case _:
                pass

    # ------------------------------------------------------------------ market health

    def market(self, event: MarketEvent) -> None:
        """Connection changes and book sync/resync (not every book update)."""
        if self.closing:
            return
        match event:
            case ConnectionState():
                detail = f" ({event.detail})" if event.detail else ""
                self.emit("HEALTH", f"connection {event.conn_id} {event.state}{detail}")
            case BookResync():
                self._synced[event.symbol] = False
                self.emit("HEALTH", f"{event.symbol} book resyncing ({event.reason})")
            case BookUpdate() if not self._synced.get(event.symbol, False):
                self._synced[event.symbol] = True
                self.emit("HEALTH", f"{event.symbol} book synced at v{event.version}")
            case _:
                pass

    def report(self, report: HealthReport) -> None:
        """Engine reports: strategy errors as ERROR, the rest as WARN."""
        kind = "ERROR" if report.kind in ERROR_KINDS else "WARN"
        self.emit(kind, f"{report.kind}: {report.detail}", report=report.kind)

    def status(self, strategy: str, text: str | None) -> None:
        """The strategy's status line, when it changed."""
        if text == self._status:
            return
        self._status = text
        if text:
            self.emit("STATUS", f"{strategy}: {text}")


def log_sink(entry: Entry) -> None:
    """Write ``entry`` through the ``mexc_futures.activity`` logger (for ``--log-file``)."""
    log.info("%-6s %s", entry.kind, entry.text, extra={"fields": entry.fields})


__all__ = ["Activity", "Entry", "log_sink"]

"""Sans-I/O state machine of one emulator WebSocket connection (spec §7.2-§7.7, §12.7-§12.8).

``WsSession.receive(raw, now_s, now_ms)`` takes one client text frame and returns an ``Outcome``:
the frames to send back (encoded JSON bytes), the subscription keys added/removed (the server
keeps a fan-out index on them) and, if a limit was breached, the ``Breach`` that ends the
connection. ``WsSession.check(now_s)`` reports timed breaches (ping, first subscription,
lifetime). Nothing here touches a socket or reads a clock.

Behaviour (live-confirmed unless marked):

* ``{"method":"ping"}`` -> ``{"channel":"pong","data":ms,"ts":ms}``.
* ``sub.<channel>`` -> ``{"channel":"rs.sub.<channel>","data":"success","ts":ms}`` (no symbol);
  a repeated identical sub is acked again and never doubled; a new variant of the same slot
  (``sub.depth`` merged vs ``compress:false``, another ``depth.full`` limit) replaces the old one.
* unknown contract -> ``rs.error`` "Contract [X] not exists"; unknown method -> silence; invalid
  JSON -> silence. ``unsub.*`` acks only when ``WsLimits.unsub_ack`` [UNCONFIRMED, default off].
* ``login`` with ``subscribe:false`` at the top level or inside ``param``; ``rs.login`` on
  success, ``rs.error`` otherwise. ``personal.filter`` replaces the filter set.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from mexc_futures.emulator.server.limits import Breach, WsLimits, WsLimitState

# (publication topic, symbol, variant) -- the fan-out key.
SubKey = tuple[str, str | None, object]

SYMBOL_CHANNELS = frozenset(
    {"ticker", "deal", "depth", "depth.full", "depth.step", "kline", "funding.rate",
     "index.price", "fair.price"}
)
GLOBAL_CHANNELS = frozenset({"tickers", "contract", "event.contract"})
DEPTH_FULL_LIMITS = (5, 10, 20, 50)
KLINE_INTERVALS = ("Min1", "Min5", "Min15", "Min30", "Min60", "Hour4", "Hour8", "Day1",
                   "Week1", "Month1")
FILTER_KEYS = frozenset(
    {"order", "order.deal", "position", "plan.order", "stop.order", "stop.planorder",
     "risk.limit", "adl.level", "asset"}
)
DEAL_OBJECTS = "objects"  # sub.deal variant with compress:false: one deal object per frame
RECEIVED_KEEP = 1_000  # frames kept per live connection for tests (reliability D7)
RECEIVED_TEXT_MAX = 2_048  # characters kept of each received frame
CLOSED_RECEIVED_KEEP = 100  # frames kept once the connection is closed

# resolves a client symbol to the venue's canonical one, or None if unknown
SymbolResolver = Callable[[str], str | None]
# verifies a login: (apiKey, reqTime, signature) -> (account, None) or (None, error text)
LoginVerifier = Callable[[str, str, str], tuple[str | None, str | None]]

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def control_frame(channel: str, data: object, ts: int) -> bytes:
    """A server control frame ``{"channel":..,"data":..,"ts":..}`` (spec §7.2-§7.3)."""
    return _encode({"channel": channel, "data": data, "ts": ts})


@dataclass(slots=True)
class Outcome:
    """What the shell must do after one input."""

    frames: list[bytes] = field(default_factory=list)
    added: list[SubKey] = field(default_factory=list)
    removed: list[SubKey] = field(default_factory=list)
    end: Breach | None = None


class _SubError(Exception):
    """A subscribe request that gets an ``rs.error`` with this text."""


class WsSession:
    """One connection: subscriptions, login, private filters, limits and the received log."""

    def __init__(
        self,
        conn_id: int,
        *,
        limits: WsLimits,
        resolve_symbol: SymbolResolver,
        verify_login: LoginVerifier,
        now_s: float,
    ) -> None:
        self.conn_id = conn_id
        self.limits = limits
        self._resolve = resolve_symbol
        self._verify = verify_login
        self.state = WsLimitState(limits, now_s)
        self.subs: dict[tuple[str, str | None, object], SubKey] = {}
        self.account: str | None = None
        self.private_default = True
        self.filters: dict[str, frozenset[str] | None] | None = None  # None: no filter call yet
        self.received: deque[tuple[int, str]] = deque(maxlen=RECEIVED_KEEP)
        self.received_count = 0

    # -- inputs ------------------------------------------------------------------------------
    def receive(self, raw: str, now_s: float, now_ms: int) -> Outcome:
        """Handle one client frame (counted against the message-rate limit first)."""
        kept = raw if len(raw) <= RECEIVED_TEXT_MAX else raw[:RECEIVED_TEXT_MAX] + "…[truncated]"
        self.received.append((now_ms, kept))
        self.received_count += 1
        out = Outcome()
        breach = self.state.on_message(now_s)
        if breach is not None:
            out.end = breach
            return out
        try:
            msg = _decode(raw)
        except (msgspec.DecodeError, RecursionError, ValueError):  # invalid JSON → silence (D11)
            return out
        if not isinstance(msg, dict):
            return out
        method = msg.get("method")
        param = msg.get("param")
        if not isinstance(param, dict):
            param = {}
        if not isinstance(method, str):
            return out
        if method == "ping":
            self.state.on_ping(now_s)
            out.frames.append(control_frame("pong", now_ms, now_ms))
        elif method == "login":
            self._login(msg, param, now_ms, out)
        elif method == "personal.filter":
            self._filter(param)
            self.state.on_subscribed()
            out.frames.append(control_frame("rs.personal.filter", "success", now_ms))
        elif method.startswith("sub."):
            self._sub(method[4:], param, now_ms, out)
        elif method.startswith(("unsub.", "usub.")):
            self._unsub(method.split(".", 1)[1], param, now_ms, out)
        return out

    def trim(self) -> None:
        """Keep only the last ``CLOSED_RECEIVED_KEEP`` frames (once the connection closed)."""
        self.received = deque(self.received, maxlen=CLOSED_RECEIVED_KEEP)

    def check(self, now_s: float) -> Breach | None:
        """A timed limit that has run out at ``now_s`` (the shell then ends the connection)."""
        return self.state.expired(now_s)

    def next_deadline(self) -> float | None:
        return self.state.next_deadline()

    # -- subscriptions ------------------------------------------------------------------------
    def _slot_and_key(self, channel: str, param: dict[str, Any]) -> tuple[
        tuple[str, str | None, object], SubKey
    ]:
        symbol: str | None = None
        if channel in SYMBOL_CHANNELS:
            given = param.get("symbol")
            symbol = self._resolve(given) if isinstance(given, str) else None
            if symbol is None:
                raise _SubError(f"Contract [{given if given is not None else ''}] not exists")
        if channel == "depth":
            merged = param.get("compress", True) is not False
            return (channel, symbol, None), ("depth.merged" if merged else "depth", symbol, None)
        if channel == "deal" and param.get("compress") is False:
            return (channel, symbol, None), (channel, symbol, DEAL_OBJECTS)
        if channel == "depth.full":
            limit = param.get("limit", 20)
            if limit not in DEPTH_FULL_LIMITS or isinstance(limit, bool):
                raise _SubError("Not support limit")
            return (channel, symbol, None), (channel, symbol, int(limit))
        if channel == "kline":
            interval = param.get("interval", "Min1")
            if interval not in KLINE_INTERVALS:
                raise _SubError("Not support interval")
            return (channel, symbol, interval), (channel, symbol, interval)
        if channel == "depth.step":
            step = str(param.get("step", ""))
            return (channel, symbol, step), (channel, symbol, step)
        return (channel, symbol, None), (channel, symbol, None)

    def _sub(self, channel: str, param: dict[str, Any], now_ms: int, out: Outcome) -> None:
        if channel not in SYMBOL_CHANNELS and channel not in GLOBAL_CHANNELS:
            return  # unknown method: silence (spec §7.3, live)
        try:
            slot, key = self._slot_and_key(channel, param)
        except _SubError as exc:
            out.frames.append(control_frame("rs.error", str(exc), now_ms))
            return
        old = self.subs.get(slot)
        if old is None and not self.state.can_add_subscription(len(self.subs)):
            text = f"Subscription limit exceeded: at most {self.limits.max_subscriptions}"
            out.frames.append(control_frame("rs.error", text, now_ms))
            return
        if old != key:
            if old is not None:
                out.removed.append(old)
            self.subs[slot] = key
            out.added.append(key)
        self.state.on_subscribed()
        out.frames.append(control_frame("rs.sub." + channel, "success", now_ms))

    def _unsub(self, channel: str, param: dict[str, Any], now_ms: int, out: Outcome) -> None:
        if channel not in SYMBOL_CHANNELS and channel not in GLOBAL_CHANNELS:
            return
        given = param.get("symbol")
        symbol = self._resolve(given) if isinstance(given, str) else None
        for slot in [s for s in self.subs if s[0] == channel and s[1] == symbol]:
            if channel == "kline" and "interval" in param and slot[2] != param["interval"]:
                continue
            out.removed.append(self.subs.pop(slot))
        if self.limits.unsub_ack:
            out.frames.append(control_frame("rs.unsub." + channel, "success", now_ms))

    # -- private ------------------------------------------------------------------------------
    def _login(self, msg: dict[str, Any], param: dict[str, Any], now_ms: int, out: Outcome) -> None:
        key, req_time, sig = param.get("apiKey"), param.get("reqTime"), param.get("signature")
        if not (isinstance(key, str) and isinstance(sig, str)):
            text = "Parameter error: apiKey/signature"
            out.frames.append(control_frame("rs.error", text, now_ms))
            return
        account, error = self._verify(key, str(req_time), sig)
        if account is None:
            out.frames.append(control_frame("rs.error", error or "Login failed", now_ms))
            return
        self.account = account
        self.private_default = msg.get("subscribe", param.get("subscribe", True)) is not False
        self.state.on_subscribed()
        out.frames.append(control_frame("rs.login", "success", now_ms))

    def _filter(self, param: dict[str, Any]) -> None:
        filters = param.get("filters")
        chosen: dict[str, frozenset[str] | None] = {}
        if isinstance(filters, list):
            for item in filters:
                if not isinstance(item, dict) or not isinstance(item.get("filter"), str):
                    continue
                rules = item.get("rules")
                symbols = (
                    frozenset(s for r in rules if isinstance(r, str) and (s := self._resolve(r)))
                    if isinstance(rules, list) and rules
                    else None
                )
                name = item["filter"]
                chosen[name] = None if name in ("asset", "adl.level") else symbols
        self.filters = chosen

    def wants_private(self, topic: str, symbol: str | None) -> bool:
        """Whether a ``personal.*`` publication for this session's account is delivered (§7.7)."""
        if self.account is None:
            return False
        filters = self.filters
        if filters is None:
            return self.private_default
        if not filters:
            return True  # filters: [] = every private push
        name = topic.removeprefix("personal.")
        if name not in filters:
            return name not in FILTER_KEYS  # unfiltered extras (position.mode ...) pass
        rules = filters[name]
        return rules is None or symbol is None or symbol in rules


__all__ = [
    "DEPTH_FULL_LIMITS",
    "FILTER_KEYS",
    "GLOBAL_CHANNELS",
    "KLINE_INTERVALS",
    "LoginVerifier",
    "Outcome",
    "SubKey",
    "SymbolResolver",
    "WsSession",
    "control_frame",
]

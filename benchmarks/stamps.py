"""Client-side tick-to-order stamps, installed in the candidate process only (never in src/).

* **frame arrival** — ``ARRIVAL[0]`` is ``perf_counter_ns()`` taken when the candidate's WebSocket
  layer hands over a received frame, before any decoding: the toolkit's picows listener
  (``mexc_futures.transport.ws._Listener.on_ws_frame``, or a Python subclass of the compiled
  ``_hot.DepthListener`` when that path is active), ccxt's ``Client.handle_message`` (the raw
  aiohttp message). The consumer callback reads it for the frame that triggered it (frames are
  paced milliseconds apart, so the last arrival is the triggering one).
* **request written** — :class:`StampingLoop` is uvloop's loop whose ``create_connection`` wraps
  the transport of every non-picows connection (aiohttp's HTTP connections of both candidates,
  and whatever the toolkit's order path opens through the loop) in a proxy whose
  ``write``/``writelines`` stamp ``perf_counter_ns()`` right after the bytes were handed to the
  transport, keyed by the ``externalOid`` found in them (``WRITES``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

ARRIVAL = [0]
WRITES: dict[str, int] = {}
_OID = re.compile(rb'"externalOid"\s*:\s*"([^"]+)"')
_clock = time.perf_counter_ns


class _StampedTransport:
    """Forwards everything to ``inner``; stamps writes that carry an ``externalOid``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._inner.write(data)
        t = _clock()
        m = _OID.search(bytes(data))
        if m is not None:
            WRITES.setdefault(m.group(1).decode(), t)

    def writelines(self, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        self.write(b"".join(bytes(c) for c in chunks))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _wrap_factory(factory: Callable[[], Any]) -> Callable[[], Any]:
    def make() -> Any:
        proto = factory()
        if type(proto).__module__.startswith("picows"):
            return proto
        made = proto.connection_made

        def connection_made(transport: Any) -> None:
            made(_StampedTransport(transport))

        proto.connection_made = connection_made
        return proto

    return make


def stamping_loop_factory() -> Any:
    """A uvloop loop (or the default one) whose connections' writes are stamped."""
    try:
        import uvloop

        base: Any = uvloop.Loop
    except ImportError:  # pragma: no cover - uvloop is in the dev extra
        import asyncio

        base = asyncio.SelectorEventLoop

    class StampingLoop(base):  # type: ignore[misc]
        async def create_connection(self, protocol_factory: Any, *args: Any,
                                    **kwargs: Any) -> Any:
            return await super().create_connection(_wrap_factory(protocol_factory), *args,
                                                   **kwargs)

    return StampingLoop()


def hook_toolkit_arrival() -> bool:
    """Stamp ``ARRIVAL`` in the toolkit's picows listener; False if its layout changed."""
    try:
        from mexc_futures.transport import ws
    except ImportError:
        return False
    listener = getattr(ws, "_Listener", None)
    orig = getattr(listener, "on_ws_frame", None)
    if listener is None or orig is None:
        return False

    def on_ws_frame(self: Any, transport: Any, frame: Any) -> None:
        ARRIVAL[0] = _clock()
        orig(self, transport, frame)

    listener.on_ws_frame = on_ws_frame
    _hook_compiled(ws)
    return True


def _hook_compiled(ws: Any) -> None:
    """The compiled listener (``mexc_futures._hot.DepthListener``, when active) gets the same
    stamp from a Python subclass: picows then calls the override, which stamps and calls the
    compiled ``on_ws_frame`` (frames it hands over are restamped by the pure hook just after)."""
    from mexc_futures._speedups import hot

    if hot is None:
        return
    base = hot.DepthListener

    class Stamped(base):  # type: ignore[misc, valid-type]
        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            ARRIVAL[0] = _clock()
            base.on_ws_frame(self, transport, frame)

    make = ws.WsConnection.make_listener

    def make_listener(self: Any) -> Any:
        listener = make(self)
        if isinstance(listener, base):
            return Stamped(listener.conn_id, listener.table, listener.py, self.metrics,
                           self._handler_failed)
        return listener

    ws.WsConnection.make_listener = make_listener


def hook_ccxt_arrival() -> bool:
    """Stamp ``ARRIVAL`` in ccxt's WebSocket client before it decodes a message."""
    try:
        from ccxt.async_support.base.ws.client import Client
    except ImportError:
        return False
    orig = Client.handle_message

    def handle_message(self: Any, message: Any) -> Any:
        ARRIVAL[0] = _clock()
        return orig(self, message)

    Client.handle_message = handle_message
    return True

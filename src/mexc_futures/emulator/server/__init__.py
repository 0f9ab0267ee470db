"""The emulator's network shell: ``Emulator`` (spec §1, §12).

* ``server`` — ``Emulator``: one port for REST, the WebSocket edge and the control API.
* ``rest_app`` — the aiohttp REST app in front of ``Venue.handle``; ``auth`` signatures and keys.
* ``ws_session`` — one WebSocket session's protocol (login, sub/unsub, ping); ``fanout`` writes
  publications to subscribers; ``limits`` — REST buckets and WS limits.
* ``faults`` — injectable faults; ``control`` — the token-protected ``/_emulator/...`` API.
* ``clock`` — scaled venue time with jumps and the clock-offset fault.
* ``memprobe`` — ``/_emulator/memory``: structure sizes, gc, tracemalloc diffs (RSS hunting).
* ``benchmode`` / ``benchfeed`` — burst and paced benchmark modes (they write wire frames, so
  they live with the server, not with the market).

Why this cut: everything that touches a socket or an HTTP request is here, so ``venue`` and
``market`` stay sans-I/O. Users import ``from mexc_futures.emulator.server import Emulator``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mexc_futures.emulator.server.benchmode import BurstResult, PacedResult
    from mexc_futures.emulator.server.limits import WsLimits
    from mexc_futures.emulator.server.server import Emulator, Link, generate_key_pair

_LAZY = {
    "BurstResult": "mexc_futures.emulator.server.benchmode",
    "Emulator": "mexc_futures.emulator.server.server",
    "Link": "mexc_futures.emulator.server.server",
    "PacedResult": "mexc_futures.emulator.server.benchmode",
    "WsLimits": "mexc_futures.emulator.server.limits",
    "generate_key_pair": "mexc_futures.emulator.server.server",
}

__all__ = ["BurstResult", "Emulator", "Link", "PacedResult", "WsLimits", "generate_key_pair"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

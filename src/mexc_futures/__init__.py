"""mexc-futures: MEXC Futures toolkit.

Public entry points are imported lazily so that ``import mexc_futures`` stays cheap:

* ``decode_frame(raw: str | bytes) -> WsMessage`` — one WebSocket frame (spec §7);
* ``decode_response(endpoint, raw) -> data`` — one REST body (spec §2), raising ``ApiError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mexc_futures.protocol.codec import decode_frame, decode_response

_LAZY = {
    "decode_frame": "mexc_futures.protocol.codec",
    "decode_response": "mexc_futures.protocol.codec",
}

__all__ = ["decode_frame", "decode_response"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mexc_futures' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

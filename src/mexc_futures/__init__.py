"""mexc-futures: stream, book-keep and trade MEXC Futures, or run a local MEXC exchange.

The public surface is this module's ``__all__`` (pinned by ``tests/unit/test_public_api.py``).
Names are imported lazily so that ``import mexc_futures`` stays cheap (no aiohttp, no picows):

* streaming and books: ``MarketData``, ``PrivateStream`` (spec §7, §8);
* execution: ``RestClient`` (spec §3–§5), ``ExecutionManager`` (journal, risk gate, kill switch);
* strategies: ``Strategy``;
* the local exchange: ``Emulator``;
* configuration: ``Environment``, ``Credentials``, ``load_credentials``;
* the protocol core: ``decode_frame(raw) -> WsMessage`` (spec §7),
  ``decode_response(endpoint, raw)`` (spec §2, raises ``ApiError``);
* errors: ``MexcError`` (root of every exception raised by the toolkit), ``ApiError``;
* ``speedups()``: which depth path runs, compiled or pure Python (docs/speedups.md).

Domain events and intents live in ``mexc_futures.model.events`` and ``mexc_futures.model.intents``.
``__version__`` is the installed distribution's version (``mexc-futures --version`` prints it).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("mexc-futures")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from mexc_futures._speedups import speedups
    from mexc_futures.config import Credentials, Environment, load_credentials
    from mexc_futures.emulator.server.server import Emulator
    from mexc_futures.errors import ApiError, MexcError
    from mexc_futures.execution.facade import ExecutionManager
    from mexc_futures.marketdata.facade import MarketData, PrivateStream
    from mexc_futures.protocol.codec import decode_frame, decode_response
    from mexc_futures.strategy.api import Strategy
    from mexc_futures.transport.rest import RestClient

_LAZY = {
    "ApiError": "mexc_futures.errors",
    "Credentials": "mexc_futures.config",
    "Emulator": "mexc_futures.emulator.server",
    "Environment": "mexc_futures.config",
    "ExecutionManager": "mexc_futures.execution",
    "MarketData": "mexc_futures.marketdata",
    "MexcError": "mexc_futures.errors",
    "PrivateStream": "mexc_futures.marketdata",
    "RestClient": "mexc_futures.transport.rest",
    "Strategy": "mexc_futures.strategy.api",
    "decode_frame": "mexc_futures.protocol.codec",
    "decode_response": "mexc_futures.protocol.codec",
    "load_credentials": "mexc_futures.config",
    "speedups": "mexc_futures._speedups",
}

__all__ = [
    "ApiError",
    "Credentials",
    "Emulator",
    "Environment",
    "ExecutionManager",
    "MarketData",
    "MexcError",
    "PrivateStream",
    "RestClient",
    "Strategy",
    "decode_frame",
    "decode_response",
    "load_credentials",
    "speedups",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mexc_futures' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

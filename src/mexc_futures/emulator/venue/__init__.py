"""The exchange's rules, sans-I/O (``Venue``): the part of the emulator that decides.

Why these files are here: each answers "what does MEXC do" — order validation (``placement``),
the book (``matching``), fills and fees (``fills``), money and margin (``money``, ``margin``,
``accounts``), liquidation, trigger and plan orders (``triggers``), error codes (``codes``), the
layered engine (``state`` -> ``margin`` -> ``fills`` -> ``engine``), ground truth (``truth``),
the per-endpoint REST semantics (``handlers_*``: parsed request in, JSON-ready data out, no
HTTP), how long history is kept (``history``), packed bounded logs (``packed``) and their sizes
for the memory probe (``sizes``). ``venue.Venue`` composes them with the synthetic market
(``emulator.market``).

Never imports ``emulator.server``. ``Venue`` and ``VenueConfig`` are re-exported lazily (the
package must not import its modules eagerly: ``market`` and ``venue`` refer to each other's
modules, so an eager import here would make a cycle at import time).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mexc_futures.emulator.venue.venue import (
        NO_DATA,
        Publication,
        Venue,
        VenueConfig,
        VenueError,
    )

__all__ = ["NO_DATA", "Publication", "Venue", "VenueConfig", "VenueError"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("mexc_futures.emulator.venue.venue"), name)

"""Which depth path runs: the compiled one (``mexc_futures._hot``) or pure Python (issue #19).

Decided once, at import, before any book or connection exists:

* ``MEXC_FUTURES_PURE=1`` (any value but ``""``/``0``) forces pure Python;
* else the extension is used if it was built (``./run`` and binary wheels build it; the
  ``py3-none-any`` wheel and a machine without a compiler do not) **and** the installed picows
  has the minor version whose C layout it was compiled against (``PICOWS_ABI``); on a mismatch
  the toolkit logs one line and runs pure Python.

Both paths behave the same (same books, counters and events; ``tests/speedups`` compare them
frame by frame); the compiled one costs about a fifth of the CPU per depth frame.
``mexc_futures.speedups()`` returns the decision as a dict; benchmarks record it.
"""

from __future__ import annotations

import importlib
import logging
import os
from importlib import metadata
from types import ModuleType
from typing import Any

log = logging.getLogger("mexc_futures")

#: picows minor version the extension is written and compiled against (setup.py, pyproject pin)
PICOWS_ABI = (2, 3)


def _picows_version() -> str:
    try:
        return metadata.version("picows")
    except metadata.PackageNotFoundError:
        return "0.0"


def _minor(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in version.split(".")[:2])
    except ValueError:
        return (0, 0)


def _load() -> tuple[ModuleType | None, str]:
    if os.environ.get("MEXC_FUTURES_PURE", "") not in ("", "0"):
        return None, "MEXC_FUTURES_PURE is set"
    installed = _picows_version()
    if _minor(installed) != PICOWS_ABI:
        reason = (f"picows {installed} installed; the compiled path needs "
                  f"{PICOWS_ABI[0]}.{PICOWS_ABI[1]}.x")
        log.warning("mexc-futures: running the pure-Python depth path (%s)", reason)
        return None, reason
    try:
        _hot = importlib.import_module("mexc_futures._hot")
    except ImportError:
        return None, "extension not built (pure install)"
    except Exception as exc:  # e.g. a binary-incompatible picows: Cython's type-size check
        log.warning("mexc-futures: compiled depth path unusable (%s); running pure Python", exc)
        return None, f"extension failed to load: {exc}"
    built = str(getattr(_hot, "PICOWS_BUILT", "unknown"))
    if _minor(built) != _minor(installed):
        reason = f"extension built against picows {built}, {installed} installed"
        log.warning("mexc-futures: running the pure-Python depth path (%s)", reason)
        return None, reason
    return _hot, f"built against picows {built}"


#: the compiled module, or ``None`` when the pure-Python path runs
hot: ModuleType | None
hot, _reason = _load()
PATH = "compiled" if hot is not None else "pure"


def speedups() -> dict[str, Any]:
    """Which depth path is active: ``{"path": "compiled"|"pure", "reason": ..., "picows": ...}``."""
    return {"path": PATH, "reason": _reason, "picows": _picows_version()}


__all__ = ["PATH", "PICOWS_ABI", "hot", "speedups"]

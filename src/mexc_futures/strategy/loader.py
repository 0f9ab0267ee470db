"""Load a strategy class (from a file, a built-in name or a module) and build it with parameters.

``load_strategy("market_maker")`` accepts, in this order: a path to a ``.py`` file; the name of a
built-in strategy (``mexc_futures.strategies.BUILTIN``: ``market_maker``, ``breakout``,
``funding_monitor``); a dotted module name (``my_pkg.my_strategy``). ``ConfigError`` lists the
choices when none matches.

``load_strategy_class("examples/market_maker.py")`` imports the file as a module and returns the
one :class:`~mexc_futures.strategy.api.Strategy` subclass *defined* in it (classes imported into it
do not count). A file holding several — or one that re-exports a class defined elsewhere — names
its strategy with a module-level ``STRATEGY = ClassName``.

``build_strategy(cls, symbols, params)`` converts each ``key=value`` string to the type of the
matching ``__init__`` parameter's default (int, float, bool, str, tuple of str), rejects
unknown keys with the list of valid ones, and numbers outside the class's ``param_ranges`` with
the allowed range (``-p size=0`` -> "allowed 1 to 10000"; ux-audit finding 7).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from mexc_futures.errors import ConfigError
from mexc_futures.strategies import BUILTIN
from mexc_futures.strategy.api import Strategy


def load_strategy(ref: str | Path) -> type[Strategy]:
    """The strategy class named by ``ref``: a file path, a built-in name or a dotted module."""
    text = str(ref)
    if Path(text).is_file() or text.endswith(".py"):
        return load_strategy_class(text)
    module_name = BUILTIN.get(text.replace("-", "_"), text)
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        names = ", ".join(BUILTIN)
        raise ConfigError(
            f"no strategy {text!r}: pass a .py file (e.g. examples/market_maker.py), a built-in "
            f"name ({names}) or an importable module (my_package.my_strategy)"
        ) from None
    return _pick(module, module.__name__, text)


def load_strategy_class(path: str | Path) -> type[Strategy]:
    """Import ``path`` and return its strategy class; ``ConfigError`` says what went wrong."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            f"strategy file {file} not found; pass a .py file such as examples/market_maker.py"
        )
    name = f"mexc_strategy_{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{file} is not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ConfigError(f"importing {file} failed: {type(exc).__name__}: {exc}") from exc
    return _pick(module, name, str(file))


def _pick(module: ModuleType, defined_in: str, where: str) -> type[Strategy]:
    chosen = getattr(module, "STRATEGY", None)
    if isinstance(chosen, type) and issubclass(chosen, Strategy):
        return chosen
    found = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Strategy)
        and obj is not Strategy
        and obj.__module__ == defined_in
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ConfigError(
            f"{where} defines no subclass of mexc_futures.strategy.api.Strategy "
            "(or set STRATEGY = <the class> in it)"
        )
    names = ", ".join(sorted(c.__name__ for c in found))
    raise ConfigError(f"{where} defines several strategies ({names}); set STRATEGY = <one of them>")


def _convert(raw: str, default: Any, key: str) -> Any:
    try:
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            return tuple(s.strip() for s in raw.split(",") if s.strip())
    except ValueError as exc:
        kind = type(default).__name__
        raise ConfigError(f"parameter {key}={raw!r}: expected {kind}") from exc
    return raw


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``["size=2", "skew=0.5"]`` -> ``{"size": "2", "skew": "0.5"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"parameter {pair!r} is not key=value (example: -p size=2)")
        out[key.strip()] = value.strip()
    return out


def build_strategy(
    cls: type[Strategy], symbols: Sequence[str], params: Mapping[str, str]
) -> Strategy:
    """Instantiate ``cls(symbols=..., **params)`` with parameters converted to their types."""
    sig = inspect.signature(cls.__init__)
    accepted = {n: p for n, p in sig.parameters.items() if n not in ("self", "symbols")}
    kwargs: dict[str, Any] = {}
    for key, raw in params.items():
        if key not in accepted:
            valid = ", ".join(accepted) or "none"
            raise ConfigError(f"{cls.__name__} has no parameter {key!r} (valid: {valid})")
        default = accepted[key].default
        kwargs[key] = raw if default is inspect.Parameter.empty else _convert(raw, default, key)
    for key, value in kwargs.items():
        check_range(cls, key, value)
    if "symbols" in sig.parameters and symbols:
        kwargs["symbols"] = tuple(symbols)
    return cls(**kwargs)


def describe_range(cls: type[Strategy], key: str) -> str:
    """``"1 to 10000"``, ``">= 0"``, ``"<= 5"`` or ``""`` (no range declared)."""
    lo, hi = cls.param_ranges.get(key, (None, None))
    if lo is not None and hi is not None:
        return f"{_num(lo)} to {_num(hi)}"
    if lo is not None:
        return f">= {_num(lo)}"
    if hi is not None:
        return f"<= {_num(hi)}"
    return ""


def _num(x: float) -> str:
    """``1000000`` -> ``1,000,000``; ``0.5`` -> ``0.5``; never scientific notation."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return format(Decimal(str(x)).normalize(), "f")


def check_range(cls: type[Strategy], key: str, value: object) -> None:
    """``ConfigError`` when a numeric ``value`` is outside ``cls.param_ranges[key]``."""
    if key not in cls.param_ranges or isinstance(value, bool):
        return
    if not isinstance(value, int | float):
        return
    lo, hi = cls.param_ranges[key]
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(
            f"parameter {key}={_num(value)} is out of range for {cls.__name__}: allowed "
            f"{describe_range(cls, key)}. Nothing was started."
        )


__all__ = [
    "build_strategy",
    "check_range",
    "describe_range",
    "load_strategy",
    "load_strategy_class",
    "parse_params",
]

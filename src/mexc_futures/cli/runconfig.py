"""The TOML configuration file of ``run`` (``--config PATH`` or ``MEXC_FUTURES_CONFIG``).

One file describes a strategy run instead of repeated options::

    [run]
    strategy = "market_maker"          # a built-in name, a .py file (relative to this file)
    symbols = ["BTC_USDT"]             #   or an importable module
    duration = 3600                    # seconds; omit to run until Ctrl-C
    max_errors = 10                    # strategy exceptions before the run stops
    view = "plain"                     # dashboard | plain | quiet

    [params]                           # the strategy's parameters, as -p would give them
    size = 2
    max_position = 6

    [risk]                             # the execution manager's risk gate
    max_position = 10                  # contracts, any symbol
    max_notional = 5000                # quote currency, any symbol
    max_open_orders = 20
    max_open_orders_per_symbol = 4
    position_by_symbol = { BTC_USDT = 6 }

    [bus]                              # run --bus: market data from a gateway (docs/bus.md)
    url = "redis://127.0.0.1:6379/0"   # no password here: MEXC_BUS_PASSWORD

    [alerts]
    webhook_url = "https://hooks.example.com/T000/B000"   # https only (http only for loopback)
    events = ["kill_switch", "strategy_error", "fill"]    # which events alert

Rules: unknown sections and keys are refused with the list of known ones, wrong types name the
key (``load_config`` raises ``ConfigError``, the CLI prints it and exits 1). Command-line options
win over the file (``run market_maker -p size=3 --config c.toml`` uses size 3). **Secrets never
go in this file**: a key named like a credential (``api_key``, ``secret``, ``password`` ...) is
refused; keys come from the environment, a 0600 ``.env`` or the keyring, as always.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from mexc_futures.errors import ConfigError
from mexc_futures.model.risk import RiskLimits

SECTIONS = {
    "run": {"strategy", "symbols", "duration", "max_errors", "view"},
    "params": None,  # free-form: checked by the strategy's own signature and ranges
    "risk": {
        "max_position",
        "max_notional",
        "max_open_orders",
        "max_open_orders_per_symbol",
        "position_by_symbol",
        "notional_by_symbol",
    },
    "alerts": {"webhook_url", "events"},
    "bus": {"url"},
}
ALERT_EVENTS = ("kill_switch", "strategy_error", "fill", "order_refused", "connection")
VIEWS = ("dashboard", "plain", "quiet")
_SECRET = re.compile(r"(api[_-]?key|secret|password|passphrase|token)", re.IGNORECASE)


@dataclass(frozen=True)
class RunConfig:
    """A validated configuration file."""

    path: Path
    strategy: str | None = None
    symbols: tuple[str, ...] = ()
    duration: float | None = None
    max_errors: int | None = None
    view: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    risk: RiskLimits | None = None
    webhook_url: str | None = None
    alert_events: tuple[str, ...] = ()
    bus_url: str | None = None


def _fail(path: Path, where: str, text: str) -> ConfigError:
    return ConfigError(f"{path}: {where}: {text}")


def _secrets(path: Path, table: dict[str, Any], where: str) -> None:
    for key, value in table.items():
        here = f"{where}.{key}" if where else key
        if _SECRET.search(key):
            raise _fail(
                path,
                here,
                "secrets do not go in the config file; give MEXC_API_KEY / MEXC_API_SECRET in "
                "the environment, a .env file with mode 0600, or the OS keyring",
            )
        if isinstance(value, dict):
            _secrets(path, value, here)


def _number(path: Path, where: str, value: object, *, positive: bool = True) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _fail(path, where, f"expected a number, got {value!r}")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise _fail(path, where, f"expected a number, got {value!r}") from None
    if positive and d <= 0:
        raise _fail(path, where, f"must be > 0, got {value}")
    return d


def _int(path: Path, where: str, value: object) -> int:
    d = _number(path, where, value)
    if d != d.to_integral_value():
        raise _fail(path, where, f"expected a whole number, got {value}")
    return int(d)


def _by_symbol(path: Path, where: str, value: object) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        raise _fail(path, where, "expected a table like { BTC_USDT = 6 }")
    return {str(k).upper(): _number(path, f"{where}.{k}", v) for k, v in value.items()}


def _risk(path: Path, table: dict[str, Any]) -> RiskLimits:
    base = RiskLimits()
    return RiskLimits(
        max_position=_number(
            path, "risk.max_position", table.get("max_position", base.max_position)
        ),
        max_notional=_number(
            path, "risk.max_notional", table.get("max_notional", base.max_notional)
        ),
        max_open_orders=_int(
            path, "risk.max_open_orders", table.get("max_open_orders", base.max_open_orders)
        ),
        max_open_orders_per_symbol=_int(
            path,
            "risk.max_open_orders_per_symbol",
            table.get("max_open_orders_per_symbol", base.max_open_orders_per_symbol),
        ),
        position_by_symbol=_by_symbol(
            path, "risk.position_by_symbol", table.get("position_by_symbol", {})
        ),
        notional_by_symbol=_by_symbol(
            path, "risk.notional_by_symbol", table.get("notional_by_symbol", {})
        ),
    )


def load_config(path: Path) -> RunConfig:
    """Read and validate ``path`` (see the module docstring); ``ConfigError`` says what is wrong."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    _secrets(path, raw, "")
    for name, table in raw.items():
        if name not in SECTIONS:
            known = ", ".join(f"[{s}]" for s in SECTIONS)
            raise _fail(path, f"[{name}]", f"unknown section (known: {known})")
        if not isinstance(table, dict):
            raise _fail(path, name, "expected a [section]")
        allowed = SECTIONS[name]
        if allowed is not None:
            for key in table:
                if key not in allowed:
                    raise _fail(
                        path, f"{name}.{key}", f"unknown key (known: {', '.join(sorted(allowed))})"
                    )
    run = raw.get("run", {})
    strategy = run.get("strategy")
    if strategy is not None:
        if not isinstance(strategy, str) or not strategy:
            raise _fail(path, "run.strategy", "expected a name or a path")
        if strategy.endswith(".py") and not Path(strategy).is_absolute():
            strategy = str((path.parent / strategy).resolve())
    symbols = run.get("symbols", [])
    if isinstance(symbols, str):
        symbols = [symbols]
    if not isinstance(symbols, list) or not all(isinstance(s, str) and s for s in symbols):
        raise _fail(path, "run.symbols", 'expected a list like ["BTC_USDT", "ETH_USDT"]')
    view = run.get("view")
    if view is not None and view not in VIEWS:
        raise _fail(path, "run.view", f"expected one of {', '.join(VIEWS)}, got {view!r}")
    alerts = raw.get("alerts", {})
    url = alerts.get("webhook_url")
    if url is not None and (
        not isinstance(url, str)
        or not url.startswith(("https://", "http://127.0.0.1", "http://localhost"))
    ):
        raise _fail(path, "alerts.webhook_url", "must be an https:// URL (http only for loopback)")
    events = alerts.get("events", list(ALERT_EVENTS[:2]) if url else [])
    if not isinstance(events, list) or any(e not in ALERT_EVENTS for e in events):
        raise _fail(path, "alerts.events", f"expected a list of: {', '.join(ALERT_EVENTS)}")
    params = raw.get("params", {})
    bus_url = raw.get("bus", {}).get("url")
    if bus_url is not None and not isinstance(bus_url, str):
        raise _fail(path, "bus.url", 'expected a string like "redis://127.0.0.1:6379/0"')
    return RunConfig(
        path=path,
        strategy=strategy,
        symbols=tuple(s.upper() for s in symbols),
        duration=(
            float(_number(path, "run.duration", run["duration"])) if "duration" in run else None
        ),
        max_errors=_int(path, "run.max_errors", run["max_errors"]) if "max_errors" in run else None,
        view=view,
        params={str(k): _param(v) for k, v in params.items()},
        risk=_risk(path, raw["risk"]) if "risk" in raw else None,
        webhook_url=url,
        alert_events=tuple(events),
        bus_url=bus_url,
    )


def _param(value: object) -> str:
    """A TOML value as the ``-p key=value`` text the strategy loader converts."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


__all__ = ["ALERT_EVENTS", "RunConfig", "load_config"]

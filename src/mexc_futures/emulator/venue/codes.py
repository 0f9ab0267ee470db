"""Business error codes the emulator answers with (spec §6.1) and the ``VenueError`` carrying them.

A ``VenueError`` becomes an HTTP 200 envelope ``{"success":false,"code":N,"message":...}`` (§2).
Codes marked *choice* have no confirmed live value; docs/emulator.md records why they were picked.
"""

from __future__ import annotations

from typing import Final


class VenueError(Exception):
    """A business error: ``code`` and English ``message`` for the failure envelope (§2, §6.1)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"VenueError({self.code}, {self.message!r})"


class _NoData:
    """Sentinel: success envelope without a ``data`` key (§2, e.g. cancel_all)."""

    _instance: _NoData | None = None

    def __new__(cls) -> _NoData:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DATA"


NO_DATA: Final = _NoData()

MESSAGES: Final[dict[int, str]] = {
    404: "Not found",
    600: "Parameter error",
    1001: "Contract does not exist",
    1002: "Contract not allow place order!",
    2001: "Wrong order direction",
    2002: "Wrong open type",
    2003: "Order price is too high to buy",
    2004: "Order price is too low to sell",
    2005: "Insufficient balance!",
    2006: "Leverage error",
    2007: "Order price error",
    2008: "Insufficient close quantity",
    2009: "Position is not exists or closed.",
    2011: "Order quantity error, please try to modify.",
    2013: "Cancel count exceeds the limit",
    2014: "Batch order count exceeds the limit",
    2015: "Price or quantity precision error",
    2018: "Exceeds the maximum reducible margin",
    2019: "An active open position exists",
    2021: "Leverage differs from the existing position's leverage",
    2029: "Wrong order type",
    2030: "externalOid is too long (max 32)",
    2031: "Position exceeds current risk limit",
    2034: "Batch query count exceeds the limit",
    2036: "Too many open orders",
    3001: "Trigger price type error",
    3002: "Trigger type error",
    3003: "Execute cycle error",
    3004: "Trigger price error",
    4001: "Unsupported currency",
    5001: "TP and SL prices cannot both be empty",
    5002: "Stop order does not exist or is closed",
    5003: "TP/SL price setting is wrong",
    5004: "TP/SL volume exceeds the closable position",
    603: "Repeated request",  # choice: duplicate externalOid
    7002: "Position mode does not match the account setting",  # choice: position-mode mismatch
    8817: "The risk limit feature has been upgraded, please use the new feature",
}

POSITION_MODE_MISMATCH: Final = 7002
DUPLICATE_EXTERNAL_OID: Final = 603
TOO_MANY_ORDERS: Final = 2036


def fail(code: int, message: str | None = None) -> VenueError:
    """A ``VenueError`` with the standard message for ``code``."""
    return VenueError(code, message if message is not None else MESSAGES.get(code, "Error"))

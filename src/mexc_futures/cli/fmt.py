"""Numbers as a trader reads them (ux-audit finding 19), one place for every command.

* Prices to the contract's tick: ``price(x, decimals)`` with ``decimals`` from
  ``decimals_of(spec.price_unit)`` (``84,000.1``; ``0.00000950``), never scientific notation.
* Volumes (contracts) to the contract's volume step: ``vol(x, decimals)`` (``3``, ``0.5``).
* Money (USDT) with thousands separators and 2 decimals in tables (``9,998.12``); PnL and fees
  signed with 4 decimals (``+2.3900``), never ``-0.0000``.
* Rates as percentages: ``pct(0.0001)`` -> ``+0.0100%``.

Averages are rounded to the tick *for display only* (``@ 83,999.7``, not ``@ 83999.66667``); the
exact value stays in ``--json`` output.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

Number = Decimal | float | int | str


def _dec(x: Number) -> Decimal:
    try:
        return x if isinstance(x, Decimal) else Decimal(str(x))
    except InvalidOperation:
        return Decimal(0)


def decimals_of(step: Number) -> int:
    """Decimal places of a tick or volume step: ``0.1`` -> 1, ``1`` -> 0, ``1e-8`` -> 8."""
    d = _dec(step).normalize()
    exp = d.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def fixed(x: Number, decimals: int, *, sign: bool = False, group: bool = True) -> str:
    """``x`` rounded half-even to ``decimals`` places, grouped, optional sign; no ``-0``."""
    q = Decimal(1).scaleb(-decimals)
    d = _dec(x).quantize(q, rounding=ROUND_HALF_EVEN)
    if d == 0:
        d = abs(d)
    spec = ("+" if sign else "") + ("," if group else "") + f".{decimals}f"
    return format(d, spec)


def price(x: Number | None, decimals: int) -> str:
    """A price to the tick (``-`` when unknown)."""
    return "-" if x is None else fixed(x, decimals)


def vol(x: Number, decimals: int = 0, *, sign: bool = False) -> str:
    """A contract count to the volume step (``3``, ``+3``, ``0.5``)."""
    return fixed(x, decimals, sign=sign)


def money(x: Number | None, decimals: int = 2) -> str:
    """A balance: ``9,998.12`` (``-`` when unknown)."""
    return "-" if x is None else fixed(x, decimals)


def pnl(x: Number) -> str:
    """Signed with 4 decimals: ``+2.3900``, ``-0.0101``, ``+0.0000``."""
    return fixed(x, 4, sign=True)


def pct(rate: Number | None, decimals: int = 4, *, sign: bool = True) -> str:
    """A fraction as a percentage, signed unless ``sign=False``: ``0.0001`` -> ``+0.0100%``."""
    return "-" if rate is None else fixed(_dec(rate) * 100, decimals, sign=sign) + "%"


__all__ = ["decimals_of", "fixed", "money", "pct", "pnl", "price", "vol"]

"""Exact money for the emulator's ledgers: ``Decimal`` amounts booked at 8 decimal places.

Why a module of its own: every amount that moves a balance (fee, realised PnL, funding, initial
margin, a ``change_margin`` amount) is rounded **once, when it is booked**, to ``MONEY_PLACES``
decimals, and the wallet, margins and PnL totals are plain ``Decimal`` sums of those booked
amounts. A client that adds up the ``fee``/``profit`` of its deal rows and the ``funding`` of its
funding records with ``Decimal`` therefore reproduces ``equity``, ``positionMargin`` and the rest to
the last digit — a float ledger would drift from that sum by a few units of the 8th decimal after
a few thousand fills.

Prices stay floats on the tick grid (``Contract.price``); they enter money arithmetic through
:func:`dec`, which uses the shortest ``repr`` so ``0.1`` becomes ``Decimal("0.1")``. Amounts leave
as JSON numbers through ``orders.num``; a ``Decimal`` with at most 15 significant digits survives
the float round trip exactly (balances below 10⁷ at 8 places).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

MONEY_PLACES = 8
_STEP = Decimal(1).scaleb(-MONEY_PLACES)
ZERO = Decimal(0)


@lru_cache(maxsize=65536)
def _from_float(x: float) -> Decimal:
    return Decimal(repr(x))


def dec(x: float | int | Decimal) -> Decimal:
    """Exact ``Decimal`` of a float's shortest repr (``0.1`` → ``Decimal("0.1")``)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int):
        return Decimal(x)
    return _from_float(x)


def booked(x: float | int | Decimal) -> Decimal:
    """``x`` rounded half-even to ``MONEY_PLACES`` decimals: the amount a ledger books."""
    if isinstance(x, Decimal):
        return x.quantize(_STEP, ROUND_HALF_EVEN)
    return dec(x).quantize(_STEP, ROUND_HALF_EVEN)


def to_json(x: Decimal, places: int = MONEY_PLACES) -> float | int:
    """A booked amount as the JSON number whose shortest repr is that decimal."""
    d = x.quantize(_STEP if places == MONEY_PLACES else Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    i = int(d)
    return i if d == i and -(2**53) < i < 2**53 else float(d)


def notional(price: float, vol: int, contract_size: float) -> Decimal:
    """Exact ``price × vol × contractSize`` (unrounded)."""
    return dec(price) * vol * dec(contract_size)

"""What the engine does with a strategy's mistakes: exceptions located, wrong return values refused.

A handler that raises is reported with *where* it raised — the innermost frame of the traceback
(normally the user's own file) as ``file.py:LINE in function`` — and the full traceback text, so
the first failure can be printed as Python would print it (:func:`describe_exception`).

A handler returns intents: ``None``, one intent, or an iterable of intents
(``PlaceOrder``/``CancelOrder``/``CancelAll``/``AmendOrder``/``ClosePosition``, built with
``post_only()``, ``limit()``, ``market()``, ``cancel()``). :func:`check_intents` splits what a
handler returned into the intents to send and one message per refused value, naming the strategy,
the handler and the value (``breakout.on_book returned 'buy please' (str), not an intent ...``).
A string is never iterated character by character. Nothing refused ever reaches the executor
(ux-audit finding 7: ``return ["buy please"]`` used to reach it and show up as an order type in the
latency figures).

Pure functions, no I/O.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mexc_futures.model.intents import (
    CONDITIONAL_TYPES,
    AmendOrder,
    CancelAll,
    CancelOrder,
    ClosePosition,
    Intent,
    PlaceBatch,
    PlaceChase,
    PlaceOrder,
)

INTENT_TYPES = (
    PlaceOrder,
    CancelOrder,
    CancelAll,
    AmendOrder,
    ClosePosition,
    PlaceBatch,
    PlaceChase,
    *CONDITIONAL_TYPES,
)
HELPERS = (
    "post_only(), limit(), market(), cancel(), stop_loss(), take_profit(), trigger(), "
    "trailing(), chase(), close_all() from mexc_futures.strategy.api"
)


@dataclass(frozen=True)
class HandlerFailure:
    """One exception raised by a strategy handler."""

    handler: str  # e.g. "on_book"
    error: str  # "ZeroDivisionError: division by zero"
    where: str  # "raiser.py:5 in on_book" (innermost frame), "" when unknown
    trace: str  # the full traceback, as Python prints it

    def line(self, strategy: str) -> str:
        """``raiser.on_book raised ZeroDivisionError: ... at raiser.py:5 in on_book``."""
        at = f" at {self.where}" if self.where else ""
        return f"{strategy}.{self.handler} raised {self.error}{at}"


_OURS = frozenset({str(Path(__file__).with_name(n)) for n in ("engine.py", "api.py")})


def describe_exception(handler: str, exc: BaseException) -> HandlerFailure:
    """The failure of ``handler`` with the innermost frame of ``exc``'s traceback located.

    The engine's own frames (the call into the handler) are left out of the traceback text.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename in _OURS:
        tb = tb.tb_next
    exc = exc.with_traceback(tb)
    frames = traceback.extract_tb(tb)
    where = ""
    if frames:
        last = frames[-1]
        where = f"{Path(last.filename).name}:{last.lineno} in {last.name}"
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    trace = "".join(traceback.format_exception(type(exc), exc, tb))
    return HandlerFailure(handler, text, where, trace)


def display_name(strategy: object) -> str:
    """The strategy's ``name``, or its class name when it kept the default ``"strategy"``."""
    name = getattr(strategy, "name", "")
    return name if name and name != "strategy" else type(strategy).__name__


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_intents(strategy: str, handler: str, out: object) -> tuple[list[Intent], list[str]]:
    """(intents to send, one message per refused value) for what ``handler`` returned."""
    if out is None:
        return [], []
    if isinstance(out, INTENT_TYPES):
        return [out], []
    if isinstance(out, str | bytes) or not isinstance(out, Iterable):
        return [], [
            _refusal(
                strategy, handler, out, "a handler returns None, an intent or a list of intents"
            )
        ]
    good: list[Intent] = []
    bad: list[str] = []
    for item in out:
        if isinstance(item, INTENT_TYPES):
            good.append(item)
        else:
            bad.append(_refusal(strategy, handler, item, "not an intent"))
    return good, bad


def _refusal(strategy: str, handler: str, value: object, what: str) -> str:
    return (
        f"{strategy}.{handler} returned {_show(value)} ({type(value).__name__}): {what}; "
        f"build intents with {HELPERS}. Refused, nothing was sent."
    )


__all__ = [
    "HELPERS",
    "INTENT_TYPES",
    "HandlerFailure",
    "check_intents",
    "describe_exception",
    "display_name",
]

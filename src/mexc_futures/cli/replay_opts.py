"""``emulator --replay DIR``: the options that make a recording the emulator's market (#17)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click


def parse_fees(text: str | None) -> dict[str, float]:
    """``maker=0,taker=0.0002`` -> ``{"maker_fee_rate": 0.0, "taker_fee_rate": 0.0002}``."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, _, value = part.partition("=")
        name = {"maker": "maker_fee_rate", "taker": "taker_fee_rate"}.get(key.strip().lower())
        try:
            if name is None:
                raise ValueError
            out[name] = float(value)
        except ValueError:
            raise ValueError(f"--fees {text!r}: use maker=R,taker=R, e.g. maker=0,taker=0.0002"
                             ) from None
    return out


def replay_options(
    root: Path, queue_model: str, symbols: str | None, fees: str | None = None
) -> tuple[dict[str, Any], str]:
    """``Emulator`` keyword arguments that make the market the recording at ``root``."""
    from mexc_futures.emulator.market.queue import parse_model
    from mexc_futures.emulator.market.recorded_contracts import recorded_contracts
    from mexc_futures.emulator.market.replay_market import recorded_factory
    from mexc_futures.emulator.market.tape import build_tape, contract_terms
    from mexc_futures.emulator.venue.contracts import build_contracts
    from mexc_futures.recording.reader import iter_lines, load_manifest

    try:
        model = parse_model(queue_model)
        fee_rates = parse_fees(fees)
        man = load_manifest(root)
    except (ValueError, FileNotFoundError) as exc:
        raise click.UsageError(str(exc)) from None
    wanted = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else []
    syms = [s for s in man.symbols if not wanted or s in wanted]
    if not syms:
        raise click.UsageError(f"none of {wanted} is in the recording ({', '.join(man.symbols)})")
    tape = build_tape(iter_lines(root), syms)
    terms = contract_terms(man.contracts)
    try:  # a symbol the built-in catalogue lacks trades on the recorded contract (#17)
        own = recorded_contracts(man.contracts, syms, tape.events, list(build_contracts()))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    options = {"market_factory": recorded_factory(tape.events, model, terms, fee_rates),
               "start_ms": tape.start_ms, "contracts": own}
    span = (tape.end_ms - tape.start_ms) / 1000
    note = (f"Replaying  {root}: {', '.join(syms)}, {span:,.0f} s of recorded market from "
            f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(tape.start_ms / 1000))} UTC; "
            f"queue model {model.name}; fees {_fee_text(terms, fee_rates, syms[0])}; after the "
            "end the market stands still")
    return {"symbols": syms, "venue_options": options, "start_ms": tape.start_ms}, note


def _fee_text(terms: dict[str, dict[str, float]], fees: dict[str, float], sym: str) -> str:
    t = {**terms.get(sym, {}), **fees}
    maker, taker = t.get("maker_fee_rate"), t.get("taker_fee_rate")
    if maker is None or taker is None:
        return "the emulator's"
    return f"maker {maker * 100:.4f} %, taker {taker * 100:.4f} %" + (
        " (--fees)" if fees else " (recorded)")



__all__ = ["parse_fees", "replay_options"]

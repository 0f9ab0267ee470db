"""``mexc-futures replay DIR``: a recording through the client's decoder, book sync and router."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import msgspec

from mexc_futures.cli.common import CliError, emit_json, run

HELP = """Replay a recording through the client's own decoder, book sync and router.

\b
Every recorded frame goes through the same code as live (codec fast path, BookSync,
the depth route), the REST snapshots are answered from the recording at the point the
live session got them, and the router's clock is the recorded receive time.
--check-books compares each replayed book with the book the recorder wrote at the same
point (at stop, and every --checkpoint seconds): exit code 1 on any difference.

\b
Examples:
  mexc-futures replay rec/day1 --check-books          # as fast as possible, verify books
  mexc-futures replay rec/day1 --speed 1 --print-lag  # at recorded pace, print pacing lag
  mexc-futures replay rec/day1 --speed 60 --events -s BTC_USDT | head   # events as JSON lines
  mexc-futures replay rec/day1 --json                 # summary as JSON
"""


def _speed(text: str) -> float | None:
    t = text.strip().lower()
    if t in ("max", "inf", "0"):
        return None
    t = t.removesuffix("x")
    try:
        v = float(t)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use max, or a factor such as 1, 10, 0.5") from None
    if v <= 0:
        raise click.BadParameter("speed must be > 0 (or max)")
    return v


@click.command("replay", help=HELP)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--speed", default="max", show_default=True,
              help="max (as fast as possible) or N: recorded time runs N times wall time.")
@click.option("--check-books", is_flag=True, help="Compare replayed books with the recorded ones.")
@click.option("-s", "--symbol", "symbols", multiple=True, help="Only these symbols' events.")
@click.option("--events", is_flag=True, help="Print every market event as a JSON line.")
@click.option("--print-lag", is_flag=True, help="Print the pacing lag (p50/p99/max).")
@click.option("--json", "as_json", is_flag=True, help="Summary as JSON.")
def replay(directory: Path, speed: str, check_books: bool, symbols: tuple[str, ...],
           events: bool, print_lag: bool, as_json: bool) -> None:
    from mexc_futures.recording.replay import replay as do_replay

    pace = _speed(speed)
    enc = msgspec.json.Encoder()
    out = sys.stdout.buffer

    def on_event(ev: Any) -> None:
        out.write(enc.encode({"type": type(ev).__name__, **msgspec.to_builtins(ev)}) + b"\n")

    try:
        res = run(do_replay(directory, speed=pace, check_books=check_books,
                            symbols=symbols or None, on_event=on_event if events else None))
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    finally:
        out.flush()
    if as_json:
        emit_json(res.to_dict())
    else:
        err = events  # keep stdout clean for the event stream

        def say(text: str) -> None:
            click.echo(text, err=err)

        pace_s = "max" if pace is None else f"{pace:g}x"
        say(f"replayed {res.frames:,} frames ({res.lines:,} lines, {res.recorded_s:,.1f} s "
            f"recorded) in {res.elapsed_s:,.2f} s at {pace_s}: {res.frames_per_s:,.0f} frames/s")
        ev = ", ".join(f"{k} {v:,}" for k, v in sorted(res.events.items())) or "none"
        say(f"events      {ev}")
        rs = ", ".join(f"{k} {v}" for k, v in sorted(res.resyncs.items())) or "none"
        say(f"resyncs     {rs}; sequence gaps {res.gaps}; disconnects {res.disconnects}; "
            f"undecodable frames {res.undecodable}")
        if print_lag or pace is not None:
            say(f"pacing lag  p50 {res.lag_p50_ms:.2f} ms, p99 {res.lag_p99_ms:.2f} ms, "
                f"max {res.lag_max_ms:.2f} ms")
        if check_books:
            bad = [c for c in res.book_checks if not c.equal]
            say(f"books       {len(res.book_checks) - len(bad)}/{len(res.book_checks)} equal to "
                "the recorded books")
            for c in bad:
                say(f"  MISMATCH {c.symbol}: recorded v{c.version}, replayed v{c.replay_version}")
            if not res.book_checks:
                say("  (the recording has no book checkpoints: it was killed before its first)")
    if check_books and not res.ok:
        sys.exit(1)


__all__ = ["replay"]

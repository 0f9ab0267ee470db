"""``mexc-futures record SYMBOL... --out DIR`` and ``mexc-futures record info DIR``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

import click
import msgspec

from mexc_futures.cli.common import CliError, console, emit_json, open_target, options, run
from mexc_futures.marketdata.config import market_data_limiter
from mexc_futures.recording.writer import Recorder

RECORD_HELP = """Record the market: raw WebSocket frames, REST snapshots, contract details.

\b
Writes DIR/manifest.json and hourly zstd segments DIR/segments/*.tsv.zst: one line per
frame (receive time in ns, connection id, kind, the exact bytes received), the depth
snapshots the book sync fetched, and each book at stop (for `replay --check-books`).
A killed recorder loses at most ~1 s: every complete line stays readable.
With --private the account stream goes to DIR/private/ (mode 0600); login frames are
written only as a redacted marker, never the key or signature.

\b
Examples:
  mexc-futures --live record BTC_USDT ETH_USDT --out rec/day1            # until Ctrl-C
  mexc-futures --live record BTC_USDT --duration 3600 --out rec/1h
  mexc-futures record BTC_USDT --duration 120 --out rec/emu --seed 7     # in-process emulator
  mexc-futures --emulator-url http://127.0.0.1:8000 record BTC_USDT --out rec/x
  mexc-futures record info rec/day1          # coverage, gaps, rates, sizes
  mexc-futures replay rec/day1 --check-books # replayed books == recorded books
"""


class _RecordGroup(click.Group):
    """``record SYMBOL...`` runs the recorder; ``record info DIR`` is a sub-command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["start", *args]
        return super().parse_args(ctx, args)


@click.group("record", cls=_RecordGroup, help=RECORD_HELP)
def record() -> None:
    pass


def _duration(text: str | None) -> float | None:
    if text is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    try:
        if t and t[-1] in units:
            return float(t[:-1]) * units[t[-1]]
        return float(t)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use seconds or 90s / 15m / 24h") from None


@record.command("start", help=RECORD_HELP, hidden=True)
@click.argument("symbols", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New directory for the recording (must not hold one already).")
@click.option("--channels", default="depth,deal,ticker,funding.rate", show_default=True,
              help="Public channels per symbol, comma-separated.")
@click.option("--duration", help="Stop after this long: seconds, or 90s / 15m / 24h "
              "(default: until Ctrl-C).")
@click.option("--private", is_flag=True,
              help="Also record the account stream (needs keys; login redacted).")
@click.option("--level", default=3, show_default=True, type=click.IntRange(1, 22),
              help="zstd level on the live box (3 costs ~3 us/frame on the writer thread).")
@click.option("--checkpoint", default=900.0, show_default=True,
              help="Seconds between book checkpoints (random-access points, --check-books).")
@click.option("--quiet", is_flag=True, help="No progress line.")
@click.pass_context
def start(ctx: click.Context, symbols: tuple[str, ...], out: Path, channels: str,
          duration: str | None, private: bool, level: int, checkpoint: float,
          quiet: bool) -> None:
    from mexc_futures.recording.session import record as do_record
    from mexc_futures.transport.rest import RestClient

    if (out / "manifest.json").exists():
        raise CliError(f"{out} already holds a recording; pick a new --out directory.")
    secs = _duration(duration)
    chans = [c.strip() for c in channels.split(",") if c.strip()]
    syms = [s.upper() for s in symbols]
    opts = options(ctx)

    async def go() -> Any:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        async with open_target(opts, keys=private, symbols=syms) as t:
            clock: Any = t.emulator.clock if t.emulator is not None else None
            bar = None if quiet else _Progress(secs)
            async with RestClient(t.env, limiter=market_data_limiter(),
                                  **({"clock": clock} if clock else {})) as rest:
                kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
                return await do_record(
                    t.env, syms, out, rest=rest, channels=chans, duration=secs, stop=stop,
                    credentials=t.credentials if private else None, checkpoint_s=checkpoint,
                    level=level, toolkit=_version(), progress=bar, **kw)

    man = run(go())
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"recorded {len(man.segments)} segment(s) into {out} ({man.stopped}); "
               f"see `mexc-futures record info {out}`")


class _Progress:
    """One status line on stderr: elapsed (of duration), lines, bytes, rate."""

    def __init__(self, duration: float | None) -> None:
        self.duration = duration
        self.tty = sys.stderr.isatty()
        self._last = -10.0

    def __call__(self, rec: Recorder, elapsed: float) -> None:
        if not self.tty and elapsed - self._last < 10.0:
            return
        self._last = elapsed
        lines, raw, disk = rec.stats()
        rate = lines / elapsed if elapsed > 0 else 0.0
        if self.duration:
            frac = min(1.0, elapsed / self.duration)
            filled = int(frac * 24)
            head = f"[{'#' * filled}{'.' * (24 - filled)}] {frac:5.1%} {_hms(elapsed)}/" \
                   f"{_hms(self.duration)}"
        else:
            head = f"{_hms(elapsed)} (Ctrl-C stops)"
        text = f"recording {head}  {lines:,} lines  {disk / 1e6:,.2f} MB on disk " \
               f"({raw / 1e6:,.1f} MB raw)  {rate:,.0f} lines/s"
        click.echo(("\r" + text.ljust(110)) if self.tty else text, nl=not self.tty, err=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mexc-futures")
    except PackageNotFoundError:
        return "unknown"


def _hms(s: float) -> str:
    s = int(s)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


@record.command("info")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--no-verify", is_flag=True, help="Skip the sha256 check of closed segments.")
def info(directory: Path, as_json: bool, no_verify: bool) -> None:
    """Coverage, gaps, rates and sizes per stream of a recording, and a symbol-day projection.

    \b
    Examples:
      mexc-futures record info rec/day1
      mexc-futures record info rec/day1 --json | jq .symbol_day_mb
    """
    from mexc_futures.recording.info import render, summarize

    try:
        data = summarize(directory, verify=not no_verify)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        emit_json(msgspec.to_builtins(data))
    else:
        console().print(render(data), markup=False, highlight=False)


@record.command("compact")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="The new, compacted recording directory (default: DIRECTORY-compact).")
@click.option("--level", default=9, show_default=True, type=click.IntRange(1, 22),
              help="zstd level of the Parquet pages.")
def compact_cmd(directory: Path, out: Path | None, level: int) -> None:
    """Write a recording as Parquet: one file per stream and UTC day, for DuckDB/polars.

    \b
    The source stays as it is (its zstd segments are the crash-safe form); the new
    directory is a recording too: `replay`, `emulator --replay` and `backtest` read
    it line for line as the original. Needs pyarrow: pip install 'mexc-futures[data]'.

    \b
    Examples:
      mexc-futures record compact rec/day1                 # -> rec/day1-compact
      duckdb -c "SELECT kind, count(*) FROM
                 'rec/day1-compact/compact/segments/*/*.parquet' GROUP BY 1"
    """
    from mexc_futures.recording.compact import compact

    dest = out if out is not None else directory.with_name(directory.name + "-compact")
    try:
        res = compact(directory, dest, level=level)
    except (FileNotFoundError, FileExistsError, ImportError) as exc:
        raise CliError(str(exc)) from None
    ratio = res.bytes_in / res.bytes_out if res.bytes_out else 0.0
    click.echo(f"compacted   {res.lines:,} lines of {directory} into {len(res.files)} Parquet "
               f"file(s) in {dest}")
    click.echo(f"size        {res.bytes_in / 1e6:,.2f} MB of zstd segments -> "
               f"{res.bytes_out / 1e6:,.2f} MB of Parquet ({ratio:.2f}x)")
    for rel, rows in sorted(res.files.items()):
        click.echo(f"  {rel}  {rows:,} rows")


__all__ = ["record"]

"""What the cockpit screen costs the event loop (issue #16): one frame rendered, in ms.

Run: ``nice -n 10 .venv/bin/python benchmarks/bench_dashboard.py [--repeat N] [--number N]``.
Renders a full state (25 book levels a side, 30 tape rows, 20 fills, 50 activity lines, a 120-point
PnL history) with ``cli.dashboard.render`` into an off-screen console at 80x24 and 160x48 — the
work ``run`` does on every refresh (4 per second) on the loop that also runs the strategy.
Prints one JSON object (median, min, max ms per frame per size, the share of one core at
4 frames per second, and how late a 1 ms timer on the event loop runs while the screen is drawn
on the loop vs by ``rich.live.Live``'s thread) and writes it to
``benchmarks/results/dashboard-<UTC date>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import timeit
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from mexc_futures.cli.dashboard import DashboardState, FillRow, OrderRow, TapeRow, render

SIZES = ((80, 24), (160, 48))
FPS = 4


def state() -> DashboardState:
    return DashboardState(
        symbol="BTC_USDT",
        bids=[(84000.0 - i / 10, 10 + i) for i in range(25)],
        asks=[(84000.2 + i / 10, 5 + i) for i in range(25)],
        our_bids={84000.0: Decimal(1)},
        our_asks={84000.4: Decimal(2)},
        trades=[TapeRow(3_600_000 + i * 1000, 84000.1, 3, "buy") for i in range(30)],
        position=Decimal(3),
        legs="",
        entry_price=Decimal("83999.7"),
        realised=Decimal("1.25"),
        unrealised=Decimal("-0.5"),
        fees=Decimal("0.02"),
        mark_price=84000.1,
        liq_price=Decimal("76000.5"),
        margin=Decimal("25.2"),
        leverage=10,
        equity=Decimal("10001.2"),
        available=Decimal("9975.0"),
        funding="+0.0100%",
        pnl_history=[((i * 7) % 13 - 6) / 10 for i in range(120)],
        pnl_span_s=30,
        latency_ms={"place": 1.5, "cancel": 0.7, "cancel all": 1.1},
        tick_to_order_ms={"place": 0.12, "cancel": 0.05},
        connection="open",
        book_synced=True,
        book_version=3159723987,
        placed=40,
        filled=20,
        cancelled=19,
        elapsed_s=12,
        duration_s=60,
        mode="PAPER",
        strategy="market_maker size=2",
        account="mx0v…abcd",
        endpoint="http://127.0.0.1:8000",
        strategy_status="quoting",
        ticker_line="last 84,000.2  24h +1.20%  mark 84,000.1  funding +0.0100%",
        open_orders=[
            OrderRow("open long", "84,000.0", "1", "0", "739001000000000001", "post-only")
        ],
        fills=[FillRow(3_600_000, "open long", "1", "84,000.0", "maker", "+0.0050")] * 20,
        activity=[f"12:00:{i:02d}.000 FILL   BTC_USDT open long 1 @ 84,000.0" for i in range(50)],
    )


def frame_ms(width: int, height: int, repeat: int, number: int) -> list[float]:
    console = Console(width=width, height=height, color_system="truecolor", force_terminal=True)
    s = state()

    def once() -> None:
        with console.capture():
            console.print(render(s, width, height))

    return [t / number * 1000 for t in timeit.repeat(once, repeat=repeat, number=number)]


async def _lateness(seconds: float, draw_on_loop: bool, width: int, height: int) -> list[float]:
    """Lateness (ms) of a 1 ms ticker on the loop while the screen is drawn 4x/s on the loop
    (``draw_on_loop``: how ``run`` drew before) or 2x/s by ``rich.live.Live``'s own thread
    (``cli.dashboard.Screen``, how it draws now)."""
    import asyncio
    import io

    from rich.live import Live

    from mexc_futures.cli.dashboard import Screen

    loop = asyncio.get_running_loop()
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True)
    late: list[float] = []
    s = state()

    async def ticker() -> None:
        end = loop.time() + seconds
        while loop.time() < end:
            t0 = loop.time()
            await asyncio.sleep(0.001)
            late.append((loop.time() - t0 - 0.001) * 1000)

    task = asyncio.create_task(ticker())
    if draw_on_loop:
        while not task.done():
            with console.capture():
                console.print(render(s, width, height))
            await asyncio.sleep(0.25)
    else:
        with Live(Screen(s), console=console, refresh_per_second=2):
            await task
    await task
    return late


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--number", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=5.0, help="per loop-lateness probe")
    args = ap.parse_args(argv)
    out: dict[str, object] = {
        "benchmark": "dashboard frame",
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "repeat": args.repeat,
        "number": args.number,
    }
    for width, height in SIZES:
        samples = frame_ms(width, height, args.repeat, args.number)
        med = statistics.median(samples)
        out[f"{width}x{height}"] = {
            "median_ms": round(med, 3),
            "min_ms": round(min(samples), 3),
            "max_ms": round(max(samples), 3),
            "core_share_at_4fps": round(med * FPS / 1000, 4),
        }
    import asyncio

    for label, on_loop in (("drawn_on_loop_4fps", True), ("drawn_by_live_thread_2fps", False)):
        late = asyncio.run(_lateness(args.seconds, on_loop, 160, 48))
        late.sort()
        out[f"loop_lateness_160x48_{label}"] = {
            "p50_ms": round(statistics.median(late), 3),
            "p99_ms": round(late[int(len(late) * 0.99)], 3),
            "max_ms": round(late[-1], 3),
        }
    text = json.dumps(out, indent=2)
    print(text)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"dashboard-{time.strftime('%Y-%m-%d', time.gmtime())}.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

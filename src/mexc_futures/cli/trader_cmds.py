"""Commands a trader reaches for every day (issue #16): ``fills`` (alias ``trades``), ``status``,
``contracts`` and ``contract SYMBOL``.

* ``fills`` — our own fills from the venue (``--symbol``, spec §5.5 ``order_deals``) or from the
  local journal (``--source journal``: every fill the toolkit saw, across sessions), newest first,
  ``--since`` (``2h``, ``30m``, ``1d``, ISO or Unix seconds), ``--csv`` or ``--json``.
* ``status`` — one screen: where it points, REST round trip and clock offset, the kill switch,
  positions with mark price and unrealised PnL, open orders, balance.
* ``contracts`` / ``contract SYMBOL`` — contract size, tick, volume step, min/max volume, fees,
  leverage range, ``apiAllowed`` (ux-audit finding 18).

Numbers are formatted to the contract's precision (``cli.fmt``); ``--json`` follows
``cli.schema``.
"""

from __future__ import annotations

import csv
import re
import sys
import time
from decimal import Decimal
from typing import Any

import click

from mexc_futures.cli import fmt, schema
from mexc_futures.cli.account_cmds import Book
from mexc_futures.cli.common import (
    connect,
    console,
    emit,
    emit_json,
    emulator_url,
    json_option,
    options,
    run,
)
from mexc_futures.cli.market_cmds import check_symbol, parse_time
from mexc_futures.cli.state import kill_record
from mexc_futures.execution.journal import Journal
from mexc_futures.protocol import convert

_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
FILL_FIELDS = (
    "time_ms",
    "symbol",
    "side",
    "vol",
    "price",
    "fee",
    "fee_currency",
    "realised",
    "role",
    "order_id",
    "fill_id",
    "external_oid",
)


def since_ms(text: str, now_s: float | None = None) -> int:
    """``2h`` / ``30m`` / ``1d`` ago, or an ISO time / Unix seconds, as Unix ms."""
    match = _AGO.match(text.strip().lower())
    if match is not None:
        now = time.time() if now_s is None else now_s
        return int((now - float(match.group(1)) * _UNIT_S[match.group(2)]) * 1000)
    return parse_time(text) * 1000


@click.command("fills")
@click.option("--symbol", "symbols", multiple=True, metavar="SYMBOL", help="Contract (repeat).")
@click.option("--since", metavar="WHEN", help="Only fills after: 2h, 30m, 1d, ISO or Unix s.")
@click.option(
    "--source",
    type=click.Choice(["venue", "journal"]),
    help="venue: ask the exchange (needs --symbol); journal: the local journal "
    "[default: venue with --symbol, else journal].",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout (for spreadsheets).")
@json_option
@click.pass_context
def fills(
    ctx: click.Context,
    symbols: tuple[str, ...],
    since: str | None,
    source: str | None,
    limit: int,
    as_csv: bool,
    as_json: bool,
) -> None:
    """Our own fills (trades), newest first: time, side, size, price, fee, realised PnL.

    \b
    Examples:
      mexc-futures fills --symbol BTC_USDT --since 2h
      mexc-futures fills --source journal --csv > fills.csv
      mexc-futures --live fills --symbol ETH_USDT --since 2026-01-01 --json
    """
    after = since_ms(since) if since else None
    if after is not None and after > time.time() * 1000:
        raise click.UsageError(f"--since {since} is in the future.")
    syms = [s.upper() for s in symbols]
    src = source or ("venue" if syms else "journal")
    if src == "venue" and not syms:
        raise click.UsageError(
            "--source venue needs --symbol SYMBOL (the venue lists by contract)."
        )
    opts = options(ctx)
    if src == "journal":
        rows = _journal_fills(Journal(opts.journal_path), syms, after)
        book = None
    else:

        async def go() -> tuple[list[dict[str, Any]], Book]:
            async with connect(opts, keys=True) as (_, rest):
                out: list[dict[str, Any]] = []
                for sym in syms:
                    await check_symbol(rest, sym)
                    deals = await rest.get_order_deals(sym, start_time=after, page_size=limit)
                    out += [schema.fill(convert.fill(d)) for d in deals]
                return out, await Book.load(rest, set(syms), marks=False)

        rows, book = run(go())
    rows = [r for r in rows if after is None or r["time_ms"] >= after]
    rows.sort(key=lambda r: r["time_ms"], reverse=True)
    rows = rows[:limit]
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=FILL_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return
    where = "journal" if src == "journal" else "venue"
    emit(
        as_json,
        rows,
        f"Fills ({where})",
        ["Time (UTC)", "Symbol", "Side", "vol", "price", "fee", "realised", "Role", "Order id"],
        [_fill_row(r, book) for r in rows],
        empty="No fills." + ("" if src == "venue" else f" (journal {opts.journal_path})"),
    )


def _fill_row(r: dict[str, Any], book: Book | None) -> tuple[object, ...]:
    sym = r["symbol"]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["time_ms"] / 1000))
    px = book.px(sym, r["price"]) if book is not None else r["price"]
    vol = book.vol(sym, r["vol"]) if book is not None else r["vol"]
    realised = "-" if r["realised"] is None else fmt.pnl(r["realised"])
    return (stamp, sym, r["side"], vol, px, r["fee"], realised, r["role"] or "-", r["order_id"])


def _journal_fills(journal: Journal, symbols: list[str], after: int | None) -> list[dict[str, Any]]:
    try:
        return [
            {
                **r,
                "side": schema.SIDES.get(int(str(r["side"])), str(r["side"])),
                "fee_currency": None,
                "realised": None,
                "role": None,
            }
            for r in journal.fills(symbols=symbols or None, since_ms=after)
        ]
    finally:
        journal.close()


@click.command("status")
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """One screen: connection, kill switch, positions with PnL, open orders, balance.

    \b
    Examples:
      mexc-futures status
      mexc-futures --live status --json
    """
    opts = options(ctx)

    async def go() -> dict[str, Any]:
        async with connect(opts, keys=True) as (t, rest):
            t0 = time.perf_counter()
            server_ms = await rest.ping()
            rtt = (time.perf_counter() - t0) * 1000
            offset = server_ms - int(time.time() * 1000)
            positions = [convert.position_update(p) for p in await rest.get_positions()]
            orders = [convert.order_update(o) for o in await rest.get_open_orders()]
            balances = [convert.balance_update(a) for a in await rest.get_assets()]
            book = await Book.load(
                rest, {p.symbol for p in positions} | {o.symbol for o in orders}, marks=True
            )
            return {
                "target": "live" if t.live else "emulator",
                "endpoint": t.env.rest_url,
                "rest_rtt_ms": round(rtt, 2),
                "clock_offset_ms": offset,
                "positions": [
                    schema.position(p, book.marks.get(p.symbol), book.specs[p.symbol].contract_size)
                    for p in positions
                ],
                "open_orders": [schema.order(o) for o in orders],
                "balances": [schema.balance(b) for b in balances],
                "_book": book,
            }

    data = run(go())
    book: Book = data.pop("_book")
    rec = kill_record(opts)
    data["kill_switch"] = None if rec is None else {"reason": rec.reason, "detail": rec.detail}
    if as_json:
        emit_json(data)
        return
    _print_status(data, book, opts.live or bool(emulator_url(opts)))


def _print_status(data: dict[str, Any], book: Book, kept: bool) -> None:
    con = console()
    kill = data["kill_switch"]
    mode = "LIVE" if data["target"] == "live" else "EMULATOR"
    con.print(
        f"[bold]{mode}[/bold] {data['endpoint']}  REST {data['rest_rtt_ms']:.1f} ms, "
        f"clock offset {data['clock_offset_ms']:+d} ms"
    )
    if not kept:
        con.print(
            "[dim](a fresh in-process emulator: nothing is open on it; use --emulator-url "
            "or --live for an account that persists)[/dim]"
        )
    con.print(
        "Kill switch: "
        + (
            "[green]OK (armed)[/green]"
            if kill is None
            else f"[red]TRIPPED ({kill['reason']} {kill['detail']})[/red]"
        )
    )
    for b in data["balances"]:
        con.print(
            f"Balance {b['currency']}: equity {fmt.money(b['equity'])}, available "
            f"{fmt.money(b['available'])}, in positions {fmt.money(b['position_margin'])}"
        )
    if not data["positions"]:
        con.print("Positions: none")
    for p in data["positions"]:
        sym = p["symbol"]
        upnl = "-" if p["unrealised"] is None else fmt.pnl(p["unrealised"])
        con.print(
            f"Position {sym} {p['position']} {book.vol(sym, p['contracts'])} @ "
            f"{book.px(sym, p['entry_price'])}, mark {book.px(sym, p['mark_price'])}, "
            f"uPnL {upnl}, liq {book.px(sym, p['liquidation_price'])}, {p['leverage']}x"
        )
    if not data["open_orders"]:
        con.print("Open orders: none")
    for o in data["open_orders"]:
        sym = o["symbol"]
        con.print(
            f"Order {o['order_id']} {sym} {o['side']} {o['type']} "
            f"{book.vol(sym, o['filled'])}/{book.vol(sym, o['vol'])} @ {book.px(sym, o['price'])}"
        )


@click.command("contracts")
@click.option("--quote", metavar="COIN", help="Only contracts quoted in COIN, e.g. USDT.")
@json_option
@click.pass_context
def contracts(ctx: click.Context, quote: str | None, as_json: bool) -> None:
    """Every contract: size, tick, volume limits, fees, leverage, whether the API may trade it.

    \b
    Examples:
      mexc-futures contracts
      mexc-futures contracts --quote USDT --json
    """

    async def go() -> list[Any]:
        async with connect(options(ctx), keys=False) as (_, rest):
            return [convert.contract_spec(c) for c in await rest.get_contracts()]

    specs = [c for c in run(go()) if quote is None or c.quote_coin == quote.upper()]
    emit(
        as_json,
        [schema.contract(c) for c in specs],
        "Contracts",
        ["Symbol", "size", "tick", "min vol", "max vol", "leverage", "maker", "taker", "API"],
        [
            (
                c.symbol,
                f"{schema.num(c.contract_size)} {c.base_coin}",
                schema.num(c.price_unit),
                schema.num(c.min_vol),
                fmt.fixed(c.max_vol, fmt.decimals_of(c.vol_unit)),
                f"{c.min_leverage}-{c.max_leverage}x",
                fmt.pct(c.maker_fee_rate, 3, sign=False),
                fmt.pct(c.taker_fee_rate, 3, sign=False),
                "yes" if c.api_allowed else "NO",
            )
            for c in specs
        ],
        empty="No contracts.",
    )


@click.command("contract")
@click.argument("symbol")
@json_option
@click.pass_context
def contract(ctx: click.Context, symbol: str, as_json: bool) -> None:
    """Specification of SYMBOL: what one contract is worth and what an order may be.

    \b
    Examples:
      mexc-futures contract BTC_USDT
      mexc-futures contract ETH_USDT --json
    """

    async def go() -> tuple[Any, float | None]:
        async with connect(options(ctx), keys=False) as (_, rest):
            spec = convert.contract_spec(await check_symbol(rest, symbol))
            tick = await rest.get_ticker(spec.symbol)
            return spec, tick.fair_price or tick.last_price

    spec, mark = run(go())
    if as_json:
        emit_json(schema.contract(spec))
        return
    dp = fmt.decimals_of(spec.price_unit)
    worth = (
        f" = {fmt.money(spec.contract_size * Decimal(str(mark)), 4)} {spec.quote_coin} "
        f"at {fmt.price(mark, dp)}"
        if mark
        else ""
    )
    rows = [
        ("Contract size", f"{schema.num(spec.contract_size)} {spec.base_coin} per contract{worth}"),
        ("Tick (price step)", schema.num(spec.price_unit)),
        ("Volume step", f"{schema.num(spec.vol_unit)} contracts"),
        ("Min / max volume", f"{schema.num(spec.min_vol)} / {schema.num(spec.max_vol)} contracts"),
        ("Leverage", f"{spec.min_leverage}x to {spec.max_leverage}x"),
        (
            "Fees",
            f"maker {fmt.pct(spec.maker_fee_rate, 3, sign=False)}, "
            f"taker {fmt.pct(spec.taker_fee_rate, 3, sign=False)}",
        ),
        ("Maintenance margin", fmt.pct(spec.maintenance_margin_rate, 3, sign=False)),
        ("API trading", "allowed" if spec.api_allowed else "NOT allowed (apiAllowed=false)"),
        ("Settles in", spec.settle_coin),
    ]
    emit(False, None, spec.symbol, ["Field", "Value"], rows)


__all__ = ["contract", "contracts", "fills", "since_ms", "status"]

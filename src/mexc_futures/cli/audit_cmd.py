"""``mexc-futures audit``: capability probe + every read endpoint vs the typed models (brief §6.4).

Steps: (1) capabilities — server time and clock offset, public reads, signed reads (the keys work),
position mode, whether the symbol accepts API orders (``apiAllowed``); (2) every read call of
``audit.read_calls`` checked by ``audit.check_body``; (3) with ``--order-test``, one post-only order
for the minimum volume, priced inside the venue's price band but far below the market, is placed,
looked up and cancelled (refused while the kill switch is tripped). Drift rows make the exit
code 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal

import aiohttp
import click
from yarl import URL

from mexc_futures.cli.audit import (
    DRIFT,
    OK,
    Finding,
    failed,
    read_calls,
    run_audit,
)
from mexc_futures.cli.common import (
    CliError,
    Target,
    confirm_live,
    connect,
    emit_json,
    emit_table,
    json_option,
    options,
    run,
)
from mexc_futures.cli.market_cmds import check_symbol
from mexc_futures.cli.state import refuse_if_killed
from mexc_futures.errors import ApiError, MexcError
from mexc_futures.model.intents import OrderKind, TradeSide
from mexc_futures.protocol.endpoints import Endpoint, build_path
from mexc_futures.protocol.signing import canonical_query, get_signing_string
from mexc_futures.transport.rest import RestClient


class RawFetcher:
    """Signed raw HTTP for the audit: returns ``(status, body)`` without decoding."""

    def __init__(self, target: Target, session: aiohttp.ClientSession, rest: RestClient) -> None:
        self.base = target.env.rest_url.rstrip("/")
        self.signer = target.credentials.signer() if target.credentials else None
        self.session = session
        self.rest = rest

    async def __call__(
        self, ep: Endpoint, path: Mapping[str, str], query: Mapping[str, str]
    ) -> tuple[int, bytes]:
        qs = canonical_query(query) if query else ""
        headers: dict[str, str] = {}
        if ep.signed:
            if self.signer is None:
                raise CliError("the audit of private endpoints needs keys")
            rt = self.rest.request_time()
            sig = self.signer.sign_bytes(rt, get_signing_string(qs).encode())
            headers = self.signer.auth_headers(rt, sig)
        url = self.base + build_path(ep, **path) + (f"?{qs}" if qs else "")
        async with self.session.request(
            ep.method,
            URL(url, encoded=True),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as resp:
            return resp.status, await resp.read()


async def capabilities(rest: RestClient, symbol: str) -> list[Finding]:
    """Rows for what this key and venue can do."""
    rows: list[Finding] = []
    offset = await rest.sync_clock()
    rows.append(Finding("capability: clock", OK, "capability", f"offset {offset} ms"))
    try:
        spec = await rest.get_contract(symbol)
        allowed = "yes" if spec.api_allowed in (None, True) else "NO (apiAllowed=false)"
        rows.append(Finding("capability: API orders", OK, "capability", f"{symbol}: {allowed}"))
    except MexcError as exc:
        rows.append(Finding("capability: public read", DRIFT, "capability", str(exc)))
    try:
        mode = await rest.get_position_mode()
        rows.append(
            Finding(
                "capability: signed read",
                OK,
                "capability",
                f"keys work; position mode {'hedge' if mode == 1 else 'one-way'}",
            )
        )
    except MexcError as exc:
        rows.append(Finding("capability: signed read", DRIFT, "capability", str(exc)))
    return rows


async def order_test(rest: RestClient, symbol: str) -> list[Finding]:
    """Place, look up and cancel one minimal post-only order far from the market."""
    spec = await rest.get_contract(symbol)
    depth = await rest.get_depth(symbol, 5)
    if not depth.bids:
        return [Finding("order test", DRIFT, "capability", f"{symbol} has no bids to price from")]
    band = spec.bid_limit_price_rate or Decimal("0.1")
    raw = Decimal(str(depth.bids[0].price)) * (1 - band / 2)
    price = (raw / spec.price_unit).to_integral_value(ROUND_DOWN) * spec.price_unit
    out: list[Finding] = []
    try:
        created = await rest.create_order(
            symbol=symbol,
            side=int(TradeSide.OPEN_LONG),
            order_type=int(OrderKind.POST_ONLY),
            vol=spec.min_vol,
            open_type=1,
            price=price,
            leverage=min(5, spec.max_leverage),
            external_oid=None,
        )
    except ApiError as exc:
        return [Finding("order test: create", DRIFT, "code", str(exc))]
    oid = str(created.order_id)
    out.append(Finding("order test: create", OK, OK, f"order {oid} at {price} x {spec.min_vol}"))
    try:
        row = await rest.get_order(oid)
        status = OK if row.state in (1, 2) else DRIFT
        out.append(
            Finding(
                "order test: query", status, "ok" if status == OK else "code", f"state {row.state}"
            )
        )
    finally:
        results = await rest.cancel_orders([oid])
        codes = [r.error_code for r in results]
        status = OK if codes == [0] else DRIFT
        out.append(
            Finding(
                "order test: cancel", status, "ok" if status == OK else "code", f"errorCode {codes}"
            )
        )
    return out


@click.command()
@click.option(
    "--symbol", default="BTC_USDT", show_default=True, help="Contract for the per-symbol reads."
)
@click.option(
    "--currency", default="USDT", show_default=True, help="Currency for the asset reads."
)
@click.option(
    "--order-test",
    "order_test_flag",
    is_flag=True,
    help="Also place and cancel one minimal post-only order far from the market.",
)
@click.option("--strict", is_flag=True, help="Fail on new (unknown) fields too.")
@click.option("--yes", is_flag=True, help="Do not ask before the --order-test on --live.")
@json_option
@click.pass_context
def audit(
    ctx: click.Context,
    symbol: str,
    currency: str,
    order_test_flag: bool,
    strict: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Check the API against the typed models; exit code 1 on any drift.

    Runs the capability probe, calls every read endpoint the toolkit uses and checks each answer
    (paths, fields, types, error codes). Run it regularly against the live exchange so that an
    API change shows up here before it costs money.

    \b
    Examples:
      mexc-futures audit                              # against the built-in emulator
      mexc-futures --live audit --order-test --yes    # real API, incl. one far-away order
    """
    opts = options(ctx)
    if order_test_flag:
        refuse_if_killed(opts, "--order-test refused (drop it to audit the reads only)")

    async def go() -> list[Finding]:
        sym = symbol.upper()
        async with connect(opts, keys=True) as (t, rest), aiohttp.ClientSession() as session:
            await check_symbol(rest, sym)  # FOO_USDT: "unknown symbol", not 13 drift rows
            rows = await capabilities(rest, sym)
            now_s = (rest.clock.time_ms() + rest.offset_ms) // 1000
            rows += await run_audit(
                RawFetcher(t, session, rest), read_calls(sym, currency, now_s=now_s)
            )
            if order_test_flag:
                confirm_live(t, f"audit order test on {sym} (post-only, far from market)", yes)
                rows += await order_test(rest, sym)
        return rows

    rows = run(go())
    bad = failed(rows, strict=strict)
    if as_json:
        emit_json({"ok": not bad, "findings": rows})
    else:
        emit_table(
            "API audit",
            ["Endpoint", "Status", "Kind", "Detail"],
            [(f.endpoint, f.status.upper(), f.kind, f.detail) for f in rows],
        )
        click.echo(f"{len(bad)} drift finding(s)." if bad else "No drift: the API matches.")
    if bad:
        ctx.exit(1)


__all__ = ["audit"]

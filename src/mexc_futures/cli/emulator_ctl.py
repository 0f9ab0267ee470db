"""``mexc-futures emulator <control>``: steer a running emulator over its control API.

Each subcommand is one ``POST /_emulator/...`` call with the control token (``--token`` or
``MEXC_EMULATOR_TOKEN``; printed by ``mexc-futures emulator`` at start) against ``--url``
(``MEXC_EMULATOR_URL``, default ``http://127.0.0.1:8000``). Percentages are given as traders
write them (``--move -5`` is −5 %).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import click

DEFAULT_URL = "http://127.0.0.1:8000"


def _post(url: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise click.UsageError(f"--url must start with http:// (got {url!r})")
    req = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        f"{url.rstrip('/')}/_emulator/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"X-Emulator-Token": token, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310  # nosec B310
            answer: dict[str, Any] = json.loads(r.read() or b"{}")
            return answer
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        if exc.code == 401:
            raise click.ClickException(
                "the emulator refused the control token: pass the one it printed at start "
                "(--token or MEXC_EMULATOR_TOKEN)"
            ) from None
        raise click.ClickException(f"the emulator answered HTTP {exc.code}: {text}") from None
    except OSError as exc:
        raise click.ClickException(
            f"no emulator at {url} ({exc}); start one with `mexc-futures emulator` or pass --url"
        ) from None


def _common(fn: Any) -> Any:
    fn = click.option(
        "--token",
        envvar="MEXC_EMULATOR_TOKEN",
        required=True,
        help="The control token the emulator printed at start (env MEXC_EMULATOR_TOKEN).",
    )(fn)
    return click.option(
        "--url",
        envvar="MEXC_EMULATOR_URL",
        default=DEFAULT_URL,
        show_default=True,
        help="Base URL of the running emulator (env MEXC_EMULATOR_URL).",
    )(fn)


@click.command("shock")
@click.argument("symbol")
@click.option("--move", default=0.0, show_default=True, type=float,
              help="Jump of the fair price in percent, e.g. -5 for −5 %.")
@click.option("--pull", default=0.0, show_default=True, type=click.FloatRange(0, 100),
              help="Percent of the liquidity providers' levels withdrawn from the top.")
@click.option("--for", "seconds", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="Venue seconds before the providers replenish again.")
@_common
def shock(symbol: str, move: float, pull: float, seconds: float, url: str, token: str) -> None:
    """Inject a liquidity shock: the price jumps and/or the book thins out, on purpose."""
    if move <= -99:
        raise click.BadParameter("-99 % or more would leave no price", param_hint="--move")
    _post(url, token, "market/shock", {"symbol": symbol.upper(), "move": move / 100,
                                       "pull": pull / 100, "durationMs": int(seconds * 1000)})
    click.echo(f"{symbol.upper()}: shock applied (price {move:+.2f} %, {pull:.0f} % of levels "
               f"pulled for {seconds:g} s)")


@click.command("price")
@click.argument("symbol")
@click.argument("price", type=click.FloatRange(min=0, min_open=True))
@_common
def price(symbol: str, price: float, url: str, token: str) -> None:
    """Move SYMBOL's fair price to PRICE at once (the book follows, takers trade through)."""
    _post(url, token, "market/price", {"symbol": symbol.upper(), "price": price})
    click.echo(f"{symbol.upper()}: fair price moved to {price:,.8g}")


@click.command("pause")
@click.argument("symbol", required=False)
@_common
def pause(symbol: str | None, url: str, token: str) -> None:
    """Freeze the synthetic market (every contract, or SYMBOL): no moves, no synthetic trades."""
    answer = _post(url, token, "market/pause", {"symbol": symbol.upper()} if symbol else {})
    click.echo(f"paused {answer.get('symbols', '?')} contract(s)")


@click.command("resume")
@click.argument("symbol", required=False)
@_common
def resume(symbol: str | None, url: str, token: str) -> None:
    """Resume the synthetic market paused with `pause`."""
    answer = _post(url, token, "market/resume", {"symbol": symbol.upper()} if symbol else {})
    click.echo(f"resumed {answer.get('symbols', '?')} contract(s)")


@click.command("balance")
@click.argument("amount", type=click.FloatRange(min=0))
@click.option("--currency", default="USDT", show_default=True)
@click.option("--account", "api_key", default=None,
              help="Access key of the account (default: the emulator's own test key).")
@_common
def balance(amount: float, currency: str, api_key: str | None, url: str, token: str) -> None:
    """Set the account's wallet balance to AMOUNT."""
    body: dict[str, Any] = {"currency": currency.upper(), "amount": f"{amount:.8f}"}
    if api_key:
        body["apiKey"] = api_key
    _post(url, token, "account/balance", body)
    click.echo(f"balance set to {amount:,.2f} {currency.upper()}")


@click.command("reset")
@click.option("--account", "api_key", default=None,
              help="Access key of the account (default: the emulator's own test key).")
@_common
def reset(api_key: str | None, url: str, token: str) -> None:
    """Reset the account: orders cancelled, positions and history gone, starting balance."""
    _post(url, token, "account/reset", {"apiKey": api_key} if api_key else {})
    click.echo("account reset: no orders, no positions, starting balance")


def add_control_commands(group: click.Group) -> None:
    """Attach the control subcommands to the ``emulator`` group."""
    for cmd in (shock, price, pause, resume, balance, reset):
        group.add_command(cmd)


__all__ = ["add_control_commands"]

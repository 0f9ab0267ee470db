"""``mexc-futures run STRATEGY [--paper | --live]``: run a strategy.

STRATEGY is a ``.py`` file, a built-in name (``market_maker``, ``breakout``, ``funding_monitor``)
or an importable module (``strategy.loader.load_strategy``).

Paper (default): on the account of a fresh in-process emulator, or of an emulator you started
(``--emulator-url``; its test keys from ``MEXC_API_KEY``/``MEXC_API_SECRET``) — see ``cli.paper``.
Live: on the real exchange — refuses to start without keys from the environment, a 0600 ``.env``
or the OS keyring (never from arguments; a ``.env`` readable by others is refused too), refuses
while the kill switch is tripped, and asks for confirmation unless ``--yes``. Both refuse while
the kill switch of their target is tripped.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import click

from mexc_futures.cli.common import (
    CliError,
    Options,
    confirm_live,
    emulator_url,
    explained,
    open_target,
    options,
    params_option,
    run,
)
from mexc_futures.cli.keys import load_cli_credentials
from mexc_futures.cli.paper import RunExtras, RunOutcome, default_view, paper_command, run_paper
from mexc_futures.cli.runconfig import RunConfig, load_config
from mexc_futures.cli.state import refuse_if_killed
from mexc_futures.errors import MexcError
from mexc_futures.execution.alerts import WebhookAlert
from mexc_futures.strategy.api import Strategy
from mexc_futures.strategy.loader import (
    build_strategy,
    describe_range,
    load_strategy,
    parse_params,
)

POSITIVE = click.FloatRange(min=0, min_open=True)


@click.command("run")
@click.argument("strategy_ref", metavar="[STRATEGY]", required=False)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MEXC_FUTURES_CONFIG",
    help="TOML file with the strategy, symbols, parameters, risk limits and alerts; options "
    "given here win over it [env MEXC_FUTURES_CONFIG]. See docs/config.md.",
)
@click.option(
    "--paper/--live",
    "paper",
    default=True,
    show_default=True,
    help="Paper: an emulator's account. Live: the real exchange (real money).",
)
@click.option(
    "-s",
    "--symbol",
    "symbols",
    multiple=True,
    metavar="SYMBOL",
    help="Contract(s) to trade; repeat for several (default: the strategy's own).",
)
@params_option("Strategy")
@click.option(
    "--duration", type=POSITIVE, help="Stop after this many seconds (> 0; default: Ctrl-C)."
)
@click.option(
    "--plain",
    "view",
    flag_value="plain",
    help="One line per event (orders, fills, errors, health) instead of the live screen; "
    "the default when stdout is not a terminal.",
)
@click.option("--quiet", "view", flag_value="quiet", help="Nothing but the final summary.")
@click.option(
    "--dashboard",
    "view",
    flag_value="dashboard",
    help="The live screen even when stdout is not a terminal (the default on a terminal).",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=1),
    help="Stop the run (cancelling its orders) after this many strategy exceptions [default: 10].",
)
@click.option(
    "--bus",
    "bus_url",
    help="Market data from a `mexc-futures gateway` over this Redis bus "
    "(redis://HOST:PORT/DB; or MEXC_BUS_URL, or [bus] url in --config).",
)
@click.option(
    "--account",
    metavar="NAME",
    help="With --bus: orders go to this account's `mexc-futures exec-service` (this process "
    "holds no API keys); without it they are executed in this process.",
)
@click.option("--show-params", is_flag=True, help="List the strategy's parameters and exit.")
@click.option("--yes", is_flag=True, help="Do not ask before going live.")
@click.pass_context
def run_strategy(
    ctx: click.Context,
    strategy_ref: str | None,
    config_path: Path | None,
    paper: bool,
    symbols: tuple[str, ...],
    params: tuple[str, ...],
    duration: float | None,
    view: str | None,
    max_errors: int | None,
    bus_url: str | None,
    account: str | None,
    show_params: bool,
    yes: bool,
) -> None:
    """Run STRATEGY: a .py file, or a built-in (market_maker, breakout, funding_monitor).

    Paper by default: a fresh emulator in this process (add --emulator-url to use one you
    started with `mexc-futures emulator`). While it runs you see the live screen: a
    PAPER/LIVE/EMULATOR banner, the book with our orders, open orders, fills, position with mark
    price, PnL, margin and liquidation price, balance, funding, latency, health and the kill
    switch (`--plain`: one line per event instead). At the end it prints orders, fills, PnL and
    the reconciliation of the local view with the venue.

    \b
    Exit status: 0 all well; 1 the local view and the venue disagree; 3 the strategy raised
    (its first traceback is printed with file and line) or returned something that is not an
    intent.

    \b
    Examples:
      mexc-futures run market_maker --duration 30
      mexc-futures run breakout --plain --duration 60 | tee run.log
      mexc-futures run examples/breakout.py -s ETH_USDT -p lookback=50
      mexc-futures run funding_monitor -s BTC_USDT -s ETH_USDT
      mexc-futures run market_maker --show-params
      mexc-futures run --config mm.toml            # strategy, params, risk, alerts in a file
      mexc-futures --emulator-url http://127.0.0.1:8000 run market_maker   # keys from env
      mexc-futures run market_maker --live      # keys from env / .env / keyring
      mexc-futures --emulator-url http://127.0.0.1:8000 run market_maker \
          --bus redis://127.0.0.1:6379/0        # market data from `mexc-futures gateway`
      mexc-futures --emulator-url http://127.0.0.1:8000 run market_maker \
          --bus redis://127.0.0.1:6379/0 --account main   # orders by `exec-service`

    Ctrl-C stops it; its orders are cancelled before it exits.
    """
    opts = options(ctx)
    live = opts.live or not paper
    with explained():
        cfg = load_config(config_path) if config_path is not None else None
        ref = strategy_ref or (cfg.strategy if cfg else None)
        if ref is None:
            raise click.UsageError(
                "give the STRATEGY (a .py file or market_maker, breakout, funding_monitor), "
                "or a --config file whose [run] names it."
            )
        cls = load_strategy(ref)
        if show_params:
            _print_params(cls)
            return
        given = {**(cfg.params if cfg else {}), **parse_params(params)}
        chosen = [s.upper() for s in symbols] or list(cfg.symbols if cfg else ())
        strategy = build_strategy(cls, chosen, given)
        extras = _extras(cfg)
        bus = _bus(bus_url, cfg, opts)
        if bus is not None:
            extras = dataclasses.replace(extras, bus=bus)
        if account is not None:
            if bus is None:
                raise click.UsageError("--account goes with --bus (the exec service's bus).")
            extras = dataclasses.replace(extras, account=_account(account))
    view = view or (cfg.view if cfg else None) or default_view()
    duration = duration if duration is not None else (cfg.duration if cfg else None)
    max_errors = max_errors or (cfg.max_errors if cfg else None) or 10
    if not live:
        paper_command(
            ctx,
            strategy,
            duration=duration,
            view=view,
            params=given,
            max_errors=max_errors,
            extras=extras,
        )
        return
    try:
        if account is None:  # with --account the exec service holds the keys
            load_cli_credentials()
    except MexcError as exc:
        raise CliError(f"run --live refused: {exc}") from None
    live_opts = dataclasses.replace(opts, live=True, emulator_url=None)
    refuse_if_killed(live_opts, "the strategy was not started")
    outcome = run(_live(strategy, live_opts, duration, yes, view, given, max_errors, extras))
    for line in outcome.lines:
        click.echo(line)
    if outcome.exit_code:
        ctx.exit(outcome.exit_code)


async def _live(
    strategy: Strategy,
    opts: Options,
    duration: float | None,
    yes: bool,
    view: str,
    params: dict[str, str],
    max_errors: int,
    extras: RunExtras,
) -> RunOutcome:
    async with open_target(opts, keys=extras.account is None) as t:
        confirm_live(t, f"run {strategy.name} on {', '.join(strategy.symbols)}", yes)
        return await run_paper(
            strategy,
            t,
            duration=duration,
            view=view,
            journal=opts.journal_path,
            params=params,
            max_errors=max_errors,
            extras=extras,
        )


def _bus(given: str | None, cfg: RunConfig | None, opts: Options) -> object | None:
    """``--bus`` / ``MEXC_BUS_URL`` / ``[bus] url`` -> ``BusURL`` (None: no bus, the default)."""
    import os

    from mexc_futures.bus.url import resolve_bus_url

    url = resolve_bus_url(given, os.environ, cfg.bus_url if cfg else None,
                          cfg.path if cfg else None)
    if url is not None and not opts.live and not emulator_url(opts):
        raise CliError(
            "run --bus takes its market data from `mexc-futures gateway`, which must read the "
            "same venue: give --emulator-url URL (the emulator the gateway reads) or --live.")
    return url


def _account(name: str) -> str:
    from mexc_futures.bus.intents import check_name

    try:
        return check_name("account", name)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--account") from None


def _extras(cfg: RunConfig | None) -> RunExtras:
    if cfg is None:
        return RunExtras()
    hook = WebhookAlert(cfg.webhook_url) if cfg.webhook_url else None
    return RunExtras(risk=cfg.risk, webhook=hook, alert_events=cfg.alert_events)


def _print_params(cls: type[Strategy]) -> None:
    sig = inspect.signature(cls.__init__)
    click.echo(f"{cls.__name__} ({cls.__module__}) parameters, set with -p KEY=VALUE:")
    for name, p in sig.parameters.items():
        if name in ("self", "symbols") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = "required" if p.default is inspect.Parameter.empty else repr(p.default)
        allowed = describe_range(cls, name)
        click.echo(f"  {name:<20} {default:<14} {'allowed ' + allowed if allowed else ''}".rstrip())
    click.echo("Symbols: -s SYMBOL (repeat for several).")


__all__ = ["run_strategy"]

"""Root ``mexc-futures`` command group: global options, secret refusal, command registration."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from mexc_futures.cli.common import CliError, Options, setup_logging
from mexc_futures.cli.keys import remember_argv
from mexc_futures.cli.logs import FORMATS, setup_logs
from mexc_futures.config import reject_cli_secrets
from mexc_futures.errors import ConfigError

EPILOG = """\b
Examples:
  mexc-futures demo --duration 60          # emulator + market maker + live dashboard
  mexc-futures watch BTC_USDT              # live ladder, trades tape and ticker
  mexc-futures book BTC_USDT --json        # one snapshot, machine-readable
  mexc-futures order place BTC_USDT --side buy --vol 1 --price 60000 --type post-only
  mexc-futures run market_maker -p size=2  # a built-in strategy, or your own .py file
  mexc-futures --live audit                # check the real API against the typed models
  mexc-futures run breakout --log-file run.log --log-format json   # activity log as JSON
  mexc-futures --live record BTC_USDT --out rec/day1   # record the market; then
  mexc-futures replay rec/day1 --check-books           # replay it through the same stack
  mexc-futures COMMAND --help              # every command has its own examples

\b
Where commands run:
  default             a fresh emulator started in-process (no keys needed)
  --emulator-url URL  an emulator you started with `mexc-futures emulator`
  --live              the real MEXC exchange; keys from MEXC_API_KEY / MEXC_API_SECRET,
                      a .env file with mode 0600, or the OS keyring - never from arguments

\b
A fresh in-process emulator lives only as long as one command: an order placed by one
command is gone for the next. To keep state between commands, run an emulator:
  mexc-futures emulator --api-key test-key --api-secret test-secret-0001
  export MEXC_EMULATOR_URL=http://127.0.0.1:8000 MEXC_API_KEY=test-key \\
         MEXC_API_SECRET=test-secret-0001
"""

GROUP_VALUE_OPTIONS = frozenset(
    {"--emulator-url", "--state-dir", "--seed", "--log-file", "--log-format"}
)
GROUP_FLAGS = frozenset({"--live", "-v", "-vv", "-vvv", "--verbose"})


class RootGroup(click.Group):
    """Refuses secrets on the command line before anything runs (reliability "Security").

    The ``emulator`` command is exempt after its name: its ``--api-key``/``--api-secret`` set the
    emulator's own throw-away test key pair, not a credential of a real account. Only the
    command position counts (``book emulator --api-secret x`` is still refused).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        cut = _command_index(args)
        checked = args[:cut] if cut is not None and args[cut] == "emulator" else args
        try:
            # no .env read, no keyring query here: a command that needs keys checks the secret
            # it loads against these arguments (cli.keys)
            reject_cli_secrets(checked, stored=False)
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        remember_argv(ctx, checked)
        if cut is not None:
            args = self._hoist(ctx, args, cut)
        return super().parse_args(ctx, args)

    def _hoist(self, ctx: click.Context, args: list[str], cut: int) -> list[str]:
        """Accept global options after the sub-command (``book BTC_USDT --live``, ux-audit
        finding 23) by moving them before it — unless the sub-command has an option of that
        name itself (``run --live``, ``emulator --seed``), which then keeps it."""
        command = self.get_command(ctx, args[cut])
        if command is None:
            return args
        own = _option_names(command)
        moved: list[str] = []
        rest: list[str] = []
        tail = args[cut + 1 :]
        i = 0
        while i < len(tail):
            arg = tail[i]
            name = arg.split("=", 1)[0]
            if arg == "--":
                rest += tail[i:]
                break
            if name in GROUP_FLAGS and name not in own:
                moved.append(arg)
            elif name in GROUP_VALUE_OPTIONS and name not in own:
                moved += tail[i : i + (1 if "=" in arg else 2)]
                i += 0 if "=" in arg else 1
            else:
                rest.append(arg)
            i += 1
        return [*args[:cut], *moved, args[cut], *rest]


def _option_names(command: click.Command) -> set[str]:
    """Every option spelling of ``command`` and, for a group, of its sub-commands."""
    names: set[str] = set()
    for param in command.params:
        names.update(param.opts)
        names.update(param.secondary_opts)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            names |= _option_names(sub)
    return names


def _command_index(args: list[str]) -> int | None:
    """Index of the sub-command name in ``args`` (skipping group options and their values)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-"):
            return i
        i += 2 if arg in GROUP_VALUE_OPTIONS else 1
    return None


@click.group(
    cls=RootGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG,
)
@click.version_option(package_name="mexc-futures")
@click.option("--live", is_flag=True, help="Use the real exchange (asks before the first order).")
@click.option(
    "--emulator-url",
    envvar="MEXC_EMULATOR_URL",
    metavar="URL",
    help="Use a running emulator, e.g. http://127.0.0.1:8000 [env MEXC_EMULATOR_URL].",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="MEXC_FUTURES_HOME",
    help="Journal and kill-switch state [env MEXC_FUTURES_HOME; default ~/.mexc-futures].",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the in-process emulator.")
@click.option(
    "-v", "--verbose", count=True, help="Show library logs: -v info, -vv debug (default: errors)."
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MEXC_FUTURES_LOG_FILE",
    help="Append logs (INFO up; -vv: DEBUG) and a run's activity log to this file "
    "[env MEXC_FUTURES_LOG_FILE].",
)
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="json: one JSON object per line (time, level, logger, message, event fields).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    live: bool,
    emulator_url: str | None,
    state_dir: Path | None,
    seed: int,
    verbose: int,
    log_file: Path | None,
    log_format: str,
) -> None:
    """mexc-futures: stream, book-keep and trade MEXC Futures, or run a local MEXC exchange.

    Every command works against a local emulator by default, so you can try anything safely.
    """
    if live and emulator_url:
        raise click.UsageError("--live and --emulator-url exclude each other; pick one.")
    if verbose or log_file is not None or log_format != "text":
        setup_logs(verbose, log_file, log_format)
    ctx.obj = Options(
        live=live, emulator_url=emulator_url, state_dir=state_dir, seed=seed, verbose=verbose
    )


def _register(commands: Sequence[Any]) -> None:
    for command in commands:
        cli.add_command(command)


def _alias(command: click.Command, name: str) -> click.Command:
    """``command`` under another name (``trades`` = ``fills``)."""
    alias = copy.copy(command)
    alias.name = name
    alias.help = f"Same as `mexc-futures {command.name}`. " + (command.help or "")
    alias.short_help = f"Same as `{command.name}`."
    return alias


def _load() -> None:
    from mexc_futures.cli import (
        account_cmds,
        audit_cmd,
        backtest_cmd,
        bus_cmds,
        chase_cmd,  # noqa: F401  # adds chase to the order group
        cond_cmds,  # noqa: F401  # adds trigger/trailing/batch/... to the order group
        demo_cmd,
        exec_service_cmd,
        kill_cmd,
        market_cmds,
        order_cmds,
        position_cmds,
        record_cmd,
        replay_cmd,
        run_cmd,
        trader_cmds,
        watch_cmd,
    )
    from mexc_futures.cli.emulator_cmd import emulator

    _register(
        [
            demo_cmd.demo,
            watch_cmd.watch,
            market_cmds.book,
            market_cmds.ticker,
            market_cmds.klines,
            account_cmds.balance,
            account_cmds.positions,
            account_cmds.orders,
            account_cmds.leverage,
            trader_cmds.fills,
            _alias(trader_cmds.fills, "trades"),
            trader_cmds.status,
            trader_cmds.contracts,
            trader_cmds.contract,
            order_cmds.order,
            position_cmds.position,
            kill_cmd.kill,
            exec_service_cmd.exec_service,
            run_cmd.run_strategy,
            audit_cmd.audit,
            emulator,
            record_cmd.record,
            replay_cmd.replay,
            backtest_cmd.backtest,
            bus_cmds.gateway,
            bus_cmds.bus,
        ]
    )


_load()


def main() -> None:
    """Console-script entry point: library logs from ``ERROR`` up (``-v`` lowers it)."""
    setup_logging(0)
    cli()

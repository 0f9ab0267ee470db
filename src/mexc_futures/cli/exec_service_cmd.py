"""``mexc-futures exec-service --bus URL --account NAME``: one account's execution over the bus.

It holds the account's API keys (nothing else needs them: strategies started with
``run --bus`` only send intents) and runs one ``ExecutionManager`` — journal, risk gate, kill
switch, reconciliation — plus the account's private stream, serving the intents of every strategy
on ``mx:ord:{account}:intents`` (``bus.execservice``). A leader lease makes sure only one runs per
account: a second one waits (saying who holds the account) and takes over when the first stops or
dies, or refuses at once with ``--no-wait``.

Its journal is the target's (``--state-dir``), the same one ``mexc-futures kill --direct`` latches,
so a kill over REST stops it too (reliability D1) even while Redis is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from typing import Any

import click

from mexc_futures.cli.common import (
    CliError,
    Options,
    confirm_live,
    emulator_url,
    open_target,
    options,
    run,
)
from mexc_futures.cli.keys import load_cli_credentials
from mexc_futures.errors import MexcError
from mexc_futures.execution.facade import ExecutionConfig, ExecutionManager
from mexc_futures.marketdata.private_stream import PrivateStream
from mexc_futures.strategy.session import PRIVATE_CHANNELS
from mexc_futures.transport.rest import RestClient

POSITIVE = click.FloatRange(min=0, min_open=True)


@click.command("exec-service")
@click.option(
    "--bus",
    "bus_url",
    metavar="URL",
    help="Redis to serve, e.g. redis://127.0.0.1:6379/0 [env MEXC_BUS_URL; a password only in "
    "MEXC_BUS_PASSWORD].",
)
@click.option(
    "--account",
    default="main",
    show_default=True,
    help="Name of the account on the bus (strategies use the same with `run --bus`).",
)
@click.option(
    "-s",
    "--symbol",
    "symbols",
    multiple=True,
    metavar="SYMBOL",
    help="Contracts to load at start (others are loaded on their first intent).",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="Refuse at once when another exec service runs the account (default: wait for its "
    "lease to lapse, then take over).",
)
@click.option(
    "--lease-ttl",
    type=click.FloatRange(min=0.5),
    default=5.0,
    show_default=True,
    help="Seconds the lease outlives this process if it dies (a successor waits this long).",
)
@click.option("--duration", type=POSITIVE, help="Stop after this many seconds (default: Ctrl-C).")
@click.option("--yes", is_flag=True, help="Do not ask before serving a --live account.")
@click.pass_context
def exec_service(
    ctx: click.Context,
    bus_url: str | None,
    account: str,
    symbols: tuple[str, ...],
    no_wait: bool,
    lease_ttl: float,
    duration: float | None,
    yes: bool,
) -> None:
    """Execute the intents of `run --bus` strategies for one account.

    One per account: journal, risk gate, kill switch and reconciliation as in a single process,
    with the intents of every strategy arriving over Redis. An intent redelivered after a crash is
    answered from the journal, never sent twice. While Redis is down it keeps reconciling over
    REST; `mexc-futures kill --direct` stops it through the shared journal.

    \b
    Examples:
      mexc-futures --emulator-url http://127.0.0.1:8000 exec-service --bus redis://127.0.0.1:6379/0
      mexc-futures --live exec-service --bus redis://127.0.0.1:6379/0 --account main
      mexc-futures --bus redis://127.0.0.1:6379/0 kill          # through this service
    """
    from mexc_futures.bus.intents import check_name
    from mexc_futures.cli.bus_cmds import resolve_bus

    opts = options(ctx)
    bus = resolve_bus(bus_url)
    try:
        check_name("account", account)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--account") from None
    if not opts.live and not emulator_url(opts):
        raise CliError(
            "exec-service trades an account that outlives it: give --live, or --emulator-url of "
            "an emulator you started with `mexc-futures emulator` (the in-process one would die "
            "with this command)."
        )
    try:
        load_cli_credentials()
    except MexcError as exc:
        raise CliError(f"exec-service needs the account's API keys: {exc}") from None
    reason, handled, dups = run(
        _serve(opts, bus, account, symbols, not no_wait, lease_ttl, duration, yes)
    )
    click.echo(
        f"exec-service {account}: {reason}; {handled} intent(s) carried out, {dups} redelivered "
        "one(s) answered from the journal"
    )


async def _serve(
    opts: Options,
    bus: Any,
    account: str,
    symbols: tuple[str, ...],
    wait: bool,
    lease_ttl: float,
    duration: float | None,
    yes: bool,
) -> tuple[str, int, int]:
    from mexc_futures.bus.execservice import ExecService, LeaseBusy
    from mexc_futures.bus.intents import exec_session

    async with open_target(opts, keys=True) as target:
        confirm_live(target, f"serve account {account!r} from the bus at {bus}", yes)
        creds = target.credentials
        assert creds is not None  # nosec B101  # keys=True
        async with RestClient(target.env, creds) as rest:
            await rest.sync_clock()

            def manager() -> ExecutionManager:
                return ExecutionManager(
                    rest,
                    journal_path=opts.journal_path,
                    clock=rest.clock,
                    config=ExecutionConfig(symbols=tuple(s.upper() for s in symbols)),
                    session_id=exec_session(account),
                    label=f"exec-service {account}",
                )

            @contextlib.asynccontextmanager
            async def private(em: ExecutionManager) -> AsyncIterator[PrivateStream]:
                await rest.sync_clock(samples=1)  # login signed with the venue's clock
                stream = PrivateStream(
                    target.env, creds, PRIVATE_CHANNELS, (), clock=rest.venue_clock
                )
                async with stream:
                    yield stream

            svc = ExecService(
                bus,
                account,
                manager=manager,
                private=private,
                clock=rest.clock,
                lease_ttl=lease_ttl,
                wait=wait,
                on_status=lambda text: click.echo(text, err=True),
            )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            if duration is not None:
                loop.call_later(duration, stop.set)
            try:
                reason = await svc.run(stop)
            except LeaseBusy as e:
                raise CliError(str(e)) from None
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    with contextlib.suppress(NotImplementedError):
                        loop.remove_signal_handler(sig)
            return reason, svc.handled, svc.duplicates


__all__ = ["exec_service"]

"""``mexc-futures kill`` / ``kill --reset``: the operator's kill switch (reliability I8).

``kill`` latches the switch in the journal of the target kind, cancels every order, plan order and
stop order and verifies through REST that nothing is open (``ExecutionManager.trip``). From then
on ``order place``, ``run`` and ``audit --order-test`` refuse to send until ``kill --reset``.

Processes already running on the same journal (``run``, ``demo`` against that target) stop too
(reliability D1): each reads the latch every 0.2 s, halts its strategy, cancels its orders and
writes an acknowledgement once the creates it had already sent are answered; the latch is also
checked inside the journal's insert of every new order, so none is sent after it is committed.
``kill`` waits for each acknowledgement (≤ 10 s), cancels and verifies once more, and names the
processes it stopped.
``kill --status`` shows the latch.
"""

from __future__ import annotations

import os
from typing import Any

import click

from mexc_futures.cli.common import (
    CliError,
    Options,
    connect,
    emit_json,
    options,
    run,
)
from mexc_futures.cli.state import kill_record
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.execution.journal import Journal, RunningSession
from mexc_futures.model.killswitch import KillSwitch, KillSwitchConfig

#: How long ``kill`` waits for each running process to acknowledge the latch (they read it
#: every 0.2 s and first let the creates they already sent get their answers).
ACK_TIMEOUT = 10.0


@click.command()
@click.option("--reset", is_flag=True, help="Re-arm a tripped kill switch.")
@click.option("--status", is_flag=True, help="Only show whether the switch is tripped.")
@click.option("--reason", default="operator", show_default=True, help="Why (kept in the journal).")
@click.option(
    "--flatten", is_flag=True, help="Also market-close every position and verify it is flat."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--bus",
    "bus_url",
    metavar="URL",
    help="Kill through the account's exec service on this Redis (`exec-service`); falls back "
    "to --direct when the bus or the service does not answer [env MEXC_BUS_URL].",
)
@click.option(
    "--account", default="main", show_default=True, help="The exec service's account (--bus)."
)
@click.option(
    "--direct", is_flag=True, help="Skip the bus: cancel over REST with this shell's keys."
)
@click.pass_context
def kill(
    ctx: click.Context,
    reset: bool,
    status: bool,
    reason: str,
    flatten: bool,
    as_json: bool,
    bus_url: str | None,
    account: str,
    direct: bool,
) -> None:
    """Stop all trading now: latch the kill switch, cancel everything, verify nothing is open.

    The latch survives restarts; nothing is sent until `mexc-futures kill --reset`.

    \b
    Examples:
      mexc-futures --live kill --reason "API changed"
      mexc-futures --live kill --flatten        # and close every position
      mexc-futures kill --status
      mexc-futures --live kill --reset
      mexc-futures kill --bus redis://127.0.0.1:6379/0       # through `exec-service`
      mexc-futures --live kill --direct                      # over REST, no bus
    """
    opts = options(ctx)
    if reset and status:
        raise click.UsageError("--reset and --status exclude each other.")
    if (reset or status) and flatten:
        raise click.UsageError("--flatten goes with a trip, not with --reset or --status.")
    bus: Any = None if direct else _bus(bus_url or getattr(opts, "bus", None))
    if bus is not None and _via_bus(opts, bus, account, reset, status, reason, flatten, as_json):
        return
    if status or reset:
        rec = kill_record(opts)
        if reset:
            journal = Journal(opts.journal_path)
            try:
                journal.save_kill(KillSwitch().snapshot(), 0)
                journal.event("kill_reset", None, "operator reset (cli)", 0)
            finally:
                journal.close()
            if bus is not None:
                run(_mirror(bus, account, "armed", ""))
        state = "armed" if reset or rec is None else rec.state
        info = {
            "state": state,
            "reason": rec.reason if rec else "",
            "was": rec.state if rec else "armed",
        }
        if as_json:
            emit_json(info)
        elif reset:
            click.echo(
                "Kill switch re-armed: trading is allowed again."
                if rec
                else "Kill switch was not tripped; nothing to reset."
            )
        else:
            label = "ARMED" if rec is None else "TRIPPED"
            more = "" if rec is None else f" ({rec.reason})"
            if rec is not None and rec.state.lower() == "contained":
                more += " - contained: nothing was left open"
            click.echo(f"Kill switch: {label}{more}")
        return

    async def go() -> tuple[int, int, list[tuple[RunningSession, float | None]]]:
        async with connect(opts, keys=True) as (_, rest):
            async with ExecutionManager(
                rest,
                journal_path=opts.journal_path,
                clock=rest.clock,
                label="kill",
                kill_config=KillSwitchConfig(flatten_on_trip=flatten),
            ) as ex:
                await ex.trip(reason, "mexc-futures kill" + (" --flatten" if flatten else ""))
                stopped = await ex.stop_others(ACK_TIMEOUT)
                if stopped:  # their last creates may have landed before they stopped
                    await ex.verify_contained()
            left = len(await rest.get_open_orders())
            left += len(await rest.get_plan_orders()) + len(await rest.get_stop_orders())
            left += len(await rest.list_track_orders(states="0,1"))
            held = len(await rest.get_positions()) if flatten else 0
            return left, held, stopped

    left, held, stopped = run(go())
    if bus is not None:
        run(_mirror(bus, account, "tripped", reason))
    silent = [r for r, took in stopped if took is None]
    if as_json:
        emit_json(
            {
                "state": "tripped",
                "reason": reason,
                "open_orders": left,
                "flattened": flatten,
                "positions": held if flatten else None,
                "processes": [
                    {
                        "pid": r.pid,
                        "label": r.label,
                        "stopped": took is not None,
                        "seconds": None if took is None else round(took, 3),
                    }
                    for r, took in stopped
                ],
            }
        )
    else:
        for r, took in stopped:
            if took is None:
                click.echo(
                    f"  pid {r.pid} ({r.label}): NO acknowledgement within {ACK_TIMEOUT:.0f} s; "
                    f"it may still be trading: stop it (kill {r.pid}), then run `kill` again.",
                    err=True,
                )
            else:
                click.echo(f"  pid {r.pid} ({r.label}): stopped after {took:.2f} s")
        if not stopped:
            click.echo("  no other process was trading on this journal")
    if left:
        raise CliError(f"Kill switch TRIPPED but {left} order(s) are still open; run it again.")
    if held:
        raise CliError(f"Kill switch TRIPPED but {held} position(s) are still open; run it again.")
    if silent:
        raise CliError(
            f"Kill switch TRIPPED and every order cancelled, but {len(silent)} process(es) did "
            "not acknowledge (see above)."
        )
    if not as_json:
        n = len(stopped)
        click.echo(
            f"Kill switch TRIPPED: {n} running process{'' if n == 1 else 'es'} stopped, every "
            "order, trigger, stop-loss/take-profit and trailing order cancelled and verified "
            "(0 open)"
            + (", every position closed (flat)" if flatten else "")
            + ". New orders are refused until `mexc-futures kill --reset`."
        )


def _bus(given: str | None) -> Any:
    """The bus to kill through (``--bus``, ``MEXC_BUS_URL``), or None: the direct path."""
    if not given and not os.environ.get("MEXC_BUS_URL"):
        return None  # the default: no bus, nothing of it imported
    from mexc_futures.cli.bus_cmds import resolve_bus

    return resolve_bus(given)


async def _mirror(bus: Any, account: str, state: str, reason: str) -> None:
    from mexc_futures.cli.kill_bus import mirror_direct

    await mirror_direct(bus, account, state, reason)


def _via_bus(
    opts: Options,
    url: Any,
    account: str,
    reset: bool,
    status: bool,
    reason: str,
    flatten: bool,
    as_json: bool,
) -> bool:
    """Carry the command out through the exec service; False: fall back to the direct path
    (said on stderr), after checking that it reaches the account."""
    from mexc_futures.cli.kill_bus import bus_command, can_go_direct, report_kill

    cmd = "reset" if reset else "status" if status else "kill"
    reply, why = run(bus_command(url, account, cmd, reason=reason, flatten=flatten))
    if reply is not None and cmd == "kill":
        report_kill(reply, account, flatten, as_json)
        return True
    if reply is not None:
        if as_json:
            emit_json({"state": reply.state, "reason": reply.reason, "via": "bus"})
        elif reset:
            click.echo(
                f"Kill switch re-armed by the exec service of {account!r} ({reply.message})."
            )
        else:
            more = f" ({reply.reason})" if reply.reason else ""
            click.echo(f"Kill switch ({account!r}, exec service): {reply.state.upper()}{more}")
        return True
    if not can_go_direct(opts):
        raise CliError(
            f"{why}. To kill over REST without the bus: `mexc-futures --live kill --direct` (or "
            "--emulator-url URL for an emulator), with the account's keys in the environment."
        )
    click.echo(f"{why}: using the direct path (REST and this target's journal) instead", err=True)
    return False


__all__ = ["kill"]

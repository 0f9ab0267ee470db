"""``mexc-futures kill --bus URL``: the kill switch through the account's exec service (#18, B6).

The command goes to ``mx:ctl:{account}``; the exec service holding the lease latches the switch in
its journal, cancels every order, trigger, stop and trailing order (``--flatten``: closes every
position), verifies through REST that nothing is open, mirrors the latch to ``mx:kill:{account}``
and answers; every strategy of the account receives ``KillSwitchTripped`` and stops sending.

When the bus cannot be reached, or no exec service answers, a kill must still happen: with a
target that has the account's keys (``--live`` or ``--emulator-url``) it falls back to the direct
path (REST, the target's journal — the one the exec service uses, so it stops too: reliability
D1), saying so; otherwise it says what to run. ``--direct`` skips the bus altogether.
"""

from __future__ import annotations

import contextlib

import click

from mexc_futures.bus import control
from mexc_futures.bus.ordkeys import kill_key
from mexc_futures.bus.redisio import connect
from mexc_futures.bus.url import BusURL
from mexc_futures.cli.common import CliError, Options, emit_json, emulator_url

#: How long to wait for the exec service's answer to a kill (it cancels and verifies first).
KILL_WAIT_S = 20.0
#: How long to wait for the answer to ``--status`` / ``--reset``.
QUICK_WAIT_S = 5.0


def can_go_direct(opts: Options) -> bool:
    """Whether a direct kill would reach the account (not a fresh in-process emulator)."""
    return opts.live or emulator_url(opts) is not None


async def bus_command(
    url: BusURL, account: str, cmd: str, *, reason: str = "operator", flatten: bool = False
) -> tuple[control.Reply | None, str]:
    """Send ``cmd`` to the exec service; ``(reply, "")`` or ``(None, why it did not work)``."""
    from redis.exceptions import RedisError

    redis = connect(url)
    wait = KILL_WAIT_S if cmd == "kill" else QUICK_WAIT_S
    try:
        reply = await control.send_command(
            redis, account, cmd, wait_s=wait, reason=reason, flatten=flatten
        )
        return reply, ""
    except control.NoExecService as e:
        return None, str(e)
    except (RedisError, OSError) as e:
        return None, f"bus unreachable at {url} ({e})"
    finally:
        with contextlib.suppress(RedisError, OSError):
            await redis.aclose()


async def mirror_direct(url: BusURL, account: str, state: str, reason: str) -> None:
    """After a direct kill or reset, bring ``mx:kill:{account}`` in line (best effort: the
    journal is the truth and the exec service re-mirrors it when it starts)."""
    from redis.exceptions import RedisError

    redis = connect(url)
    try:
        if state == "armed":
            await redis.delete(kill_key(account))
        else:
            mirror = control.KillMirror(state=state, reason=reason, detail="mexc-futures kill")
            await redis.set(kill_key(account), control.encode(mirror))
    except (RedisError, OSError):
        pass
    finally:
        with contextlib.suppress(RedisError, OSError):
            await redis.aclose()


def report_kill(reply: control.Reply, account: str, flatten: bool, as_json: bool) -> None:
    """Print the exec service's answer to a kill; ``CliError`` when something is still open."""
    if as_json:
        emit_json(
            {
                "state": reply.state,
                "reason": reply.reason,
                "via": "bus",
                "account": account,
                "exec_service": reply.holder,
                "open_orders": reply.open_orders,
                "flattened": flatten,
                "positions": reply.positions,
                "message": reply.message,
            }
        )
    if not reply.ok and reply.message:
        raise CliError(f"the exec service of {account!r} could not kill: {reply.message}")
    if reply.open_orders:
        raise CliError(
            f"Kill switch TRIPPED but {reply.open_orders} order(s) are still open; run it again."
        )
    if reply.positions:
        raise CliError(
            f"Kill switch TRIPPED but {reply.positions} position(s) are still open; run it again."
        )
    if not as_json:
        click.echo(
            f"Kill switch TRIPPED by the exec service of account {account!r} ({reply.holder}): "
            "every strategy stopped, every order, trigger, stop-loss/take-profit and trailing "
            "order cancelled and verified (0 open)"
            + (", every position closed (flat)" if flatten else "")
            + ". The latch survives restarts; new orders are refused until "
            "`mexc-futures --bus URL kill --reset`."
        )


__all__ = ["bus_command", "can_go_direct", "mirror_direct", "report_kill"]

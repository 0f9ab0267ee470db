"""The exec service's control side: the kill-switch mirror and operator commands (#18, B6).

A mixin of ``bus.execservice.ExecService`` (its state is declared below):

* ``mx:kill:{account}`` mirrors the journal's latch: written when the switch trips (here, by a
  command, or by another process's ``kill --direct`` seen through the journal, reliability D1),
  deleted on reset, and re-written after every reconnect (a Redis restarted empty gets it back);
* commands from ``mx:ctl:{account}`` (``bus.control``): ``kill`` (trip, wait for other processes
  on the journal, verify over REST that nothing is open, answer with what is left), ``reset``,
  ``status``; commands written before this instance started are not run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import msgspec

from mexc_futures.bus import control
from mexc_futures.bus.lease import Lease
from mexc_futures.bus.ordkeys import REPLY_TTL_S, ctl_key, kill_key, reply_key
from mexc_futures.bus.redisio import redis_errors
from mexc_futures.errors import MexcError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from mexc_futures.execution.facade import ExecutionManager

log = logging.getLogger("mexc_futures.bus.exec")


class ControlSide:
    """Kill-switch mirror and operator commands (see the module docstring)."""

    account: str
    redis: Redis
    lease: Lease
    block_ms: int
    _kill_dirty: bool
    _closing: bool

    if TYPE_CHECKING:

        def _bus(self, up: bool, why: str = "") -> None: ...

    async def _mirror_kill(self, em: ExecutionManager) -> None:
        """``mx:kill:{account}`` = the journal's latch (re-written after every reconnect)."""
        ks = em.kill_switch
        if ks.tripped:
            rec = ks.snapshot()
            mirror = control.KillMirror(
                state=rec.state, reason=rec.reason, detail=rec.detail, tripped_ms=rec.tripped_at_ms
            )
            await self.redis.set(kill_key(self.account), control.encode(mirror))
        else:
            await self.redis.delete(kill_key(self.account))
        self._kill_dirty = False

    async def _ctl_loop(self, em: ExecutionManager) -> None:
        key, last = ctl_key(self.account), "$"
        while not self._closing:
            try:
                if last == "$":  # commands sent before we started are not ours to run
                    info: Any = await self.redis.xrevrange(key, count=1)
                    last = info[0][0].decode() if info else "0-0"
                got: Any = await self.redis.xread({key: last}, count=10, block=self.block_ms)
                for _, entries in got or ():
                    for entry_id, fields in entries:
                        last = entry_id.decode()
                        await self._command(em, fields)
            except redis_errors() as e:
                self._bus(False, str(e))
                last = "$" if last == "0-0" else last
                await asyncio.sleep(0.2)

    async def _command(self, em: ExecutionManager, fields: dict[bytes, bytes]) -> None:
        try:
            cmd = control.decode_command(fields[b"m"])
        except (KeyError, msgspec.DecodeError, msgspec.ValidationError) as e:
            log.error("malformed command dropped: %s", e)
            return
        try:
            reply = await self._carry_out(em, cmd)
        except MexcError as e:
            reply = control.Reply(req=cmd.req, ok=False, state=self._state(em), message=str(e))
        key = reply_key(self.account, cmd.req)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.rpush(key, control.encode(reply))
            pipe.expire(key, REPLY_TTL_S)
            await pipe.execute()

    async def _carry_out(self, em: ExecutionManager, cmd: control.Command) -> control.Reply:
        ks = em.kill_switch
        if cmd.cmd == "kill":
            if cmd.flatten:
                ks.config = dataclasses.replace(ks.config, flatten_on_trip=True)
            detail = "mexc-futures --bus kill" + (" --flatten" if cmd.flatten else "")
            await em.trip(cmd.reason, detail)
            stopped = await em.stop_others(10.0)
            if stopped:
                await em.verify_contained()
            await self._mirror_kill(em)
            left, held = await _leftovers(em, cmd.flatten)
            return control.Reply(
                req=cmd.req,
                ok=left == 0 and not held,
                state=self._state(em),
                reason=ks.reason,
                open_orders=left,
                positions=held if cmd.flatten else None,
                holder=self.lease.token,
            )
        if cmd.cmd == "reset":
            was = self._state(em)
            em.reset()
            await self._mirror_kill(em)
            return control.Reply(
                req=cmd.req, ok=True, state="armed", message=f"was {was}", holder=self.lease.token
            )
        if cmd.cmd == "status":
            return control.Reply(
                req=cmd.req,
                ok=True,
                state=self._state(em),
                reason=ks.reason if ks.tripped else "",
                open_orders=len(em.open_orders),
                holder=self.lease.token,
            )
        return control.Reply(
            req=cmd.req, ok=False, state=self._state(em), message="unknown command"
        )

    @staticmethod
    def _state(em: ExecutionManager) -> str:
        return em.kill_switch.snapshot().state if em.kill_switch.tripped else "armed"


async def _leftovers(em: ExecutionManager, flatten: bool) -> tuple[int, int]:
    """Open orders of every kind, and positions when flattening, as REST lists them now."""
    rest = em.rest
    left = len(await rest.get_open_orders())
    left += len(await rest.get_plan_orders()) + len(await rest.get_stop_orders())
    left += len(await rest.list_track_orders(states="0,1"))
    held = len(await rest.get_positions()) if flatten else 0
    return left, held


__all__ = ["ControlSide"]

"""Operator commands to the exec service over the bus: ``kill``, ``reset``, ``status`` (#18).

The operator (``mexc-futures --bus URL kill``) appends a ``Command`` to ``mx:ctl:{account}`` and
waits on the list ``mx:ctl:{account}:reply:{req}`` for the ``Reply``; the exec service holding the
lease carries it out with its execution manager (kill: latch in the journal, cancel everything,
verify through REST that nothing is open; the latch is mirrored to ``mx:kill:{account}``).

Nobody answering within the timeout means no exec service runs the account (or it is stuck):
``NoExecService`` — the CLI then says so and points at ``kill --direct``, which cancels over REST
without the bus.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import msgspec

from mexc_futures.bus.ordkeys import CTL_MAXLEN, ctl_key, kill_key, reply_key
from mexc_futures.errors import MexcError

if TYPE_CHECKING:
    from redis.asyncio import Redis


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """One operator command."""

    req: str
    cmd: str  # kill | reset | status
    reason: str = "operator"
    flatten: bool = False


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """The exec service's answer."""

    req: str
    ok: bool
    state: str  # armed | tripped | contained
    reason: str = ""
    open_orders: int = 0
    positions: int | None = None
    message: str = ""
    holder: str = ""


class KillMirror(msgspec.Struct, frozen=True, kw_only=True):
    """What ``mx:kill:{account}`` holds while the kill switch is latched."""

    state: str
    reason: str
    detail: str = ""
    tripped_ms: int = 0


class NoExecService(MexcError):
    """No exec service answered the command in time."""


_CMD = msgspec.msgpack.Decoder(Command)
_REPLY = msgspec.msgpack.Decoder(Reply)
_MIRROR = msgspec.msgpack.Decoder(KillMirror)
_ENC = msgspec.msgpack.Encoder()


def encode(obj: Command | Reply | KillMirror) -> bytes:
    """msgpack bytes."""
    return _ENC.encode(obj)


def decode_command(raw: bytes) -> Command:
    """A command (``msgspec`` errors when malformed)."""
    return _CMD.decode(raw)


def decode_mirror(raw: bytes) -> KillMirror:
    """The kill-switch mirror."""
    return _MIRROR.decode(raw)


async def send_command(
    redis: Redis,
    account: str,
    cmd: str,
    *,
    wait_s: float,
    reason: str = "operator",
    flatten: bool = False,
) -> Reply:
    """Send ``cmd`` to the exec service of ``account`` and wait for its reply.

    Raises ``NoExecService`` when nothing answers within ``wait_s`` seconds (redis errors
    propagate: the bus is down)."""
    req = secrets.token_hex(8)
    command = Command(req=req, cmd=cmd, reason=reason, flatten=flatten)
    await redis.xadd(ctl_key(account), {"m": encode(command)}, maxlen=CTL_MAXLEN, approximate=True)
    got: Any = await redis.blpop([reply_key(account, req)], timeout=wait_s)
    if got is None:
        raise NoExecService(
            f"no exec service answered `{cmd}` for account {account!r} within {wait_s:.0f} s"
        )
    return _REPLY.decode(got[1])


async def read_mirror(redis: Redis, account: str) -> KillMirror | None:
    """The latch as the exec service mirrored it (``None``: armed, or never mirrored)."""
    raw: Any = await redis.get(kill_key(account))
    return None if raw is None else decode_mirror(raw)


__all__ = [
    "Command",
    "KillMirror",
    "NoExecService",
    "Reply",
    "decode_command",
    "decode_mirror",
    "encode",
    "read_mirror",
    "send_command",
]

"""Redis keys of the execution side of the bus (issue #18; design §2.5), from ``bus.names``.

* ``mx:ord:{account}:intents`` — intents of every strategy trading ``account`` (consumer group
  ``exec``; the exec service holding the lease reads it).
* ``mx:ord:{account}:events:{strategy}`` — outcomes, order updates, fills, positions, balances and
  kill-switch events for one strategy.
* ``mx:lease:{account}`` — the exec service's leader lease.
* ``mx:kill:{account}`` — the kill-switch latch, mirrored from the exec service's journal (the
  journal is the truth; the mirror is re-written after every reconnect).
* ``mx:ctl:{account}`` — operator commands (``kill``, ``kill --reset``, ``status``); the answer to
  request ``req`` is pushed to the list ``mx:ctl:{account}:reply:{req}`` (expires after 60 s).

Every stream is trimmed when written (``MAXLEN ~``): nothing on the bus grows without bound.
"""

from __future__ import annotations

from mexc_futures.bus import names

#: The consumer group of the exec service on the intents stream.
GROUP = names.EXEC_GROUP
#: Approximate bound of the intents stream (entries).
INTENTS_MAXLEN = 100_000
#: Approximate bound of each strategy's events stream (entries).
EVENTS_MAXLEN = 20_000
#: Approximate bound of the control stream (entries).
CTL_MAXLEN = 1_000
#: How long a command's reply list lives (seconds).
REPLY_TTL_S = 60


def intents_key(account: str) -> str:
    """Stream of intents for ``account`` (``names.intents``)."""
    return names.intents(account)


def events_key(account: str, strategy: str) -> str:
    """Stream of outcomes and account events for one strategy (``names.events``)."""
    return names.events(account, strategy)


def lease_key(account: str) -> str:
    """The exec service's leader lease (``names.lease``)."""
    return names.lease(account)


def kill_key(account: str) -> str:
    """The kill-switch latch mirror (``names.kill``)."""
    return names.kill(account)


def ctl_key(account: str) -> str:
    """Stream of operator commands (``names.control``)."""
    return names.control(account)


def reply_key(account: str, req: str) -> str:
    """List the answer to command ``req`` is pushed to."""
    return f"{names.control(account)}:reply:{req}"


__all__ = [
    "CTL_MAXLEN",
    "EVENTS_MAXLEN",
    "GROUP",
    "INTENTS_MAXLEN",
    "REPLY_TTL_S",
    "ctl_key",
    "events_key",
    "intents_key",
    "kill_key",
    "lease_key",
    "reply_key",
]

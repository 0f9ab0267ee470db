"""The exec service's leader lease: one executing instance per account (issue #18; design §2.5).

The lease is the Redis key ``mx:lease:{account}``, set with ``SET key token NX PX ttl`` and
renewed every ``ttl/3`` by a script that extends it only while it still holds our token (and sets
it again when the key vanished, e.g. a Redis restart without persistence). The token names the
holder (``host pid start``) so a second instance can say who runs the account.

The state machine is a table (``TRANSITIONS``), sans-I/O and tested without Redis:

==========  ===========  ========  =========  ==========
state       acquired     refused   renewed    unreachable
==========  ===========  ========  =========  ==========
waiting     held         waiting   --         waiting
held        --           lost      held       stale
stale       --           lost      held       stale
lost        --           lost      lost       lost
==========  ===========  ========  =========  ==========

* ``held``: the last renewal (or acquisition) succeeded; intents may be executed until
  ``valid_until`` (the lease's expiry as this process last confirmed it, minus a margin for clock
  drift between the Redis server and us).
* ``stale``: Redis cannot be reached. We cannot know whether the key lapsed, so no intent is
  executed (none can be read anyway); the execution manager keeps reconciling and its kill switch
  works (design §2.5 "Redis down"). Back to ``held`` when a renewal succeeds.
* ``lost``: another instance holds the key. The service stops executing and exits, saying who
  holds it; it never takes the account back by force.
"""

from __future__ import annotations

import enum
import os
import socket
from dataclasses import dataclass

#: Renew the lease when this fraction of its time-to-live has passed.
RENEW_FRACTION = 1 / 3
#: Stop executing this long before the lease could have lapsed at the server.
SAFETY_MARGIN = 0.2  # fraction of the ttl


class LeaseState(enum.Enum):
    """Where this instance stands (see the module docstring)."""

    WAITING = "waiting"
    HELD = "held"
    STALE = "stale"
    LOST = "lost"


class LeaseEvent(enum.Enum):
    """What an attempt at the server answered."""

    ACQUIRED = "acquired"
    REFUSED = "refused"  # someone else holds the key
    RENEWED = "renewed"
    UNREACHABLE = "unreachable"  # the server did not answer


_W, _H, _S, _L = LeaseState.WAITING, LeaseState.HELD, LeaseState.STALE, LeaseState.LOST
_A, _R, _N, _U = LeaseEvent.ACQUIRED, LeaseEvent.REFUSED, LeaseEvent.RENEWED, LeaseEvent.UNREACHABLE

#: The lease state machine. Missing pairs are impossible (``IllegalLeaseEvent``).
TRANSITIONS: dict[tuple[LeaseState, LeaseEvent], LeaseState] = {
    (_W, _A): _H,
    (_W, _R): _W,
    (_W, _U): _W,
    (_H, _R): _L,
    (_H, _N): _H,
    (_H, _A): _H,  # the key vanished (Redis restarted empty) and we set it again
    (_H, _U): _S,
    (_S, _R): _L,
    (_S, _N): _H,
    (_S, _A): _H,
    (_S, _U): _S,
    (_L, _R): _L,
    (_L, _N): _L,
    (_L, _A): _L,
    (_L, _U): _L,
}


class IllegalLeaseEvent(RuntimeError):
    """An event the table has no row for (a bug in the caller)."""


@dataclass
class Lease:
    """The lease of one account as this process knows it (times: monotonic seconds)."""

    ttl_s: float
    token: str
    state: LeaseState = LeaseState.WAITING
    valid_until: float = 0.0
    holder: str = ""  # who holds it when refused

    def apply(self, event: LeaseEvent, now: float, holder: str = "") -> LeaseState:
        """Move along ``TRANSITIONS``; a confirmation extends ``valid_until``."""
        nxt = TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise IllegalLeaseEvent(f"{event.value} while {self.state.value}")
        if nxt is LeaseState.HELD and event in (LeaseEvent.ACQUIRED, LeaseEvent.RENEWED):
            self.valid_until = now + self.ttl_s * (1 - SAFETY_MARGIN)
        if event is LeaseEvent.REFUSED:
            self.holder = holder
        self.state = nxt
        return nxt

    def may_execute(self, now: float) -> bool:
        """Whether an intent may be started now: held, and confirmed recently enough."""
        return self.state is LeaseState.HELD and now < self.valid_until

    @property
    def renew_every(self) -> float:
        """Seconds between renewals."""
        return self.ttl_s * RENEW_FRACTION


def make_token(now_ms: int) -> str:
    """``host pid start-ms``: unique per process, readable in the refusal message."""
    return f"{socket.gethostname()} pid {os.getpid()} since {now_ms}"


#: KEYS[1] lease key, ARGV[1] token, ARGV[2] ttl ms. 1 renewed, 2 set again (it had vanished),
#: else the current holder's token.
RENEW_SCRIPT = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return v
"""

#: KEYS[1] lease key, ARGV[1] token: delete only our own lease (clean shutdown).
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

__all__ = [
    "RELEASE_SCRIPT",
    "RENEW_SCRIPT",
    "TRANSITIONS",
    "IllegalLeaseEvent",
    "Lease",
    "LeaseEvent",
    "LeaseState",
    "make_token",
]

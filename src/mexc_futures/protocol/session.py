"""Per-connection session machine (spec §7.1-§7.7), written as a table; no I/O, ``now`` is input.

Lifecycle: ``CONNECTING -> (LOGGING_IN -> FILTERING) -> LIVE -> CLOSED``. Client frames are
abstract (``Ping``, ``Login``, ``Filter``, ``Sub``, ``Unsub``); the shell encodes them at send time
(so a login is signed with a fresh ``reqTime``). The machine decides:

  * **pacing** (I5, S8): at most ``max_per_second`` client frames in any 1 s sliding window
    (default 40, well below the 100/s limit), pings included; queued frames wait for a slot;
  * **keep-alive** (§7.2): a ping every ``ping_interval`` s (10-20, default 15) and a stall when no
    pong arrives within ``pong_timeout`` s of a ping: detection within ``ping_interval +
    pong_timeout`` (S2, S4); data does not count as a pong (it proves nothing about our send path);
  * **login** (§7.6-§7.7): ``Login`` first, then ``Filter``; subscriptions are held until LIVE;
    ``rs.error`` or no answer within ``login_timeout`` ends in ``LoginFailed`` (never a hang);
  * **staleness** (S3): per watched stream, ``StreamStale`` after ``max_silence`` s without data
    (re-armed after each report);
  * **rotation** (S6): ``RotateDue`` once, ``rotate_margin`` s before ``max_lifetime``.

``poll(now)`` returns the outputs due; ``next_deadline()`` says when to call it again.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

import msgspec


class State(enum.Enum):
    """Where one connection stands."""

    CONNECTING = "connecting"
    LOGGING_IN = "logging_in"
    FILTERING = "filtering"
    LIVE = "live"
    CLOSED = "closed"


# ------------------------------------------------------------------ abstract client frames


class Ping(msgspec.Struct, frozen=True):
    """``{"method":"ping"}``."""


class Login(msgspec.Struct, frozen=True):
    """``login`` with ``subscribe:false``; signed by the shell at send time."""


class Filter(msgspec.Struct, frozen=True):
    """``personal.filter`` with ``filters`` (spec §7.7)."""

    filters: tuple[tuple[str, tuple[str, ...]], ...]


class Sub(msgspec.Struct, frozen=True):
    """``sub.<channel>`` with ``param``; ``key`` identifies the stream for the shell."""

    channel: str
    param: tuple[tuple[str, Any], ...]
    key: Hashable = None


class Unsub(msgspec.Struct, frozen=True):
    """``unsub.<channel>`` with ``param``."""

    channel: str
    param: tuple[tuple[str, Any], ...]


ClientFrame = Ping | Login | Filter | Sub | Unsub


# ------------------------------------------------------------------ outputs


class Send(msgspec.Struct, frozen=True):
    """Shell: encode and write ``frame`` now."""

    frame: ClientFrame


class CloseConn(msgspec.Struct, frozen=True):
    """Shell: close the socket (``reason``: ``stall``, ``login``, ``closed``)."""

    reason: str


class LoginFailed(msgspec.Struct, frozen=True):
    """The venue refused the login (``rs.error``) or never answered."""

    reason: str


class LoggedIn(msgspec.Struct, frozen=True):
    """Login and filter acknowledged; the private stream is live."""


class StreamStale(msgspec.Struct, frozen=True):
    """No data on stream ``key`` for ``silence`` seconds."""

    key: Hashable
    silence: float


class RotateDue(msgspec.Struct, frozen=True):
    """Time to open a twin connection and retire this one (make-before-break)."""


SessionOutput = Send | CloseConn | LoginFailed | LoggedIn | StreamStale | RotateDue


class SessionConfig(msgspec.Struct, frozen=True):
    """Timings in seconds (scaled by the clock in tests)."""

    ping_interval: float = 15.0
    pong_timeout: float = 8.0
    max_per_second: int = 40
    login_timeout: float = 10.0
    max_lifetime: float = 24 * 3600.0
    rotate_margin: float = 600.0

    def __post_init__(self) -> None:
        if not 10.0 <= self.ping_interval <= 20.0:
            raise ValueError("ping_interval must be within 10-20 s (spec §7.2)")
        if not 1 <= self.max_per_second < 100:
            raise ValueError("max_per_second must be within 1-99 (limit is 100/s)")


_INF = float("inf")


class Session:
    """One connection's protocol state; see the module docstring."""

    def __init__(
        self,
        config: SessionConfig | None = None,
        *,
        login: bool = False,
        filters: tuple[tuple[str, tuple[str, ...]], ...] | None = None,
    ) -> None:
        self.config = config or SessionConfig()
        self.login = login
        self.filters = filters
        self.state = State.CONNECTING
        self.opened_at = 0.0
        self.frames_sent = 0
        self.pongs = 0
        self.last_pong_rtt: float | None = None
        self._queue: deque[ClientFrame] = deque()
        self._held: deque[ClientFrame] = deque()  # subs waiting for login
        self._sent_at: deque[float] = deque()  # send times in the last second
        self._next_ping = _INF
        self._ping_sent: float | None = None
        self._login_deadline = _INF
        self._rotate_at = _INF
        self._watch: dict[Hashable, tuple[float, float]] = {}  # key -> (max_silence, last data)

    # ---------------------------------------------------------------- inputs

    def on_open(self, now: float) -> list[SessionOutput]:
        """The socket is open: start keep-alive, login if asked, flush what can go."""
        return self._dispatch("open", now, None)

    def on_pong(self, now: float) -> list[SessionOutput]:
        """``{"channel":"pong"}`` received."""
        return self._dispatch("pong", now, None)

    def on_login_ok(self, now: float) -> list[SessionOutput]:
        """``rs.login`` success."""
        return self._dispatch("login_ok", now, None)

    def on_filter_ok(self, now: float) -> list[SessionOutput]:
        """``rs.personal.filter`` success."""
        return self._dispatch("filter_ok", now, None)

    def on_error(self, now: float, text: str) -> list[SessionOutput]:
        """``rs.error``: fatal while logging in, informational otherwise (unknown contract)."""
        return self._dispatch("error", now, text)

    def on_closed(self, now: float) -> list[SessionOutput]:
        """The socket closed (any code)."""
        return self._dispatch("closed", now, None)

    def send(self, frame: ClientFrame) -> None:
        """Queue a client frame; subscriptions wait for login on private connections."""
        if self.state is State.CLOSED:
            return
        if isinstance(frame, Sub | Unsub) and self.state in (State.LOGGING_IN, State.FILTERING):
            self._held.append(frame)
        else:
            self._queue.append(frame)

    def watch(self, key: Hashable, max_silence: float, now: float) -> None:
        """Report ``StreamStale(key)`` when no data arrives for ``max_silence`` seconds."""
        self._watch[key] = (max_silence, now)

    def unwatch(self, key: Hashable) -> None:
        """Stop watching ``key``."""
        self._watch.pop(key, None)

    def touch(self, key: Hashable, now: float) -> None:
        """Data arrived on ``key`` (hot path: one dict lookup)."""
        w = self._watch.get(key)
        if w is not None:
            self._watch[key] = (w[0], now)

    # ---------------------------------------------------------------- time

    def poll(self, now: float) -> list[SessionOutput]:
        """Outputs due at ``now``: stall / login timeout, pings, paced frames, stale, rotation."""
        if self.state is State.CLOSED or self.state is State.CONNECTING:
            return []
        out: list[SessionOutput] = []
        if self._ping_sent is not None and now - self._ping_sent >= self.config.pong_timeout:
            return self._close(out, "stall")
        if now >= self._login_deadline:
            out.append(LoginFailed("no answer to login"))
            return self._close(out, "login")
        if now >= self._next_ping:
            self._queue.appendleft(Ping())
            self._next_ping = now + self.config.ping_interval
        self._flush(now, out)
        for key, (silence, last) in self._watch.items():
            if now - last >= silence:
                out.append(StreamStale(key, now - last))
                self._watch[key] = (silence, now)
        if now >= self._rotate_at:
            self._rotate_at = _INF
            out.append(RotateDue())
        return out

    def next_deadline(self) -> float:
        """The next ``now`` at which ``poll`` has something to do (``inf`` if none)."""
        if self.state is State.CLOSED or self.state is State.CONNECTING:
            return _INF
        d = min(self._next_ping, self._login_deadline, self._rotate_at)
        if self._ping_sent is not None:
            d = min(d, self._ping_sent + self.config.pong_timeout)
        if self._queue:
            window = self._sent_at
            d = min(d, window[0] + 1.0 if len(window) >= self.config.max_per_second else 0.0)
        for silence, last in self._watch.values():
            d = min(d, last + silence)
        return d

    # ---------------------------------------------------------------- the table

    def _dispatch(self, event: str, now: float, arg: Any) -> list[SessionOutput]:
        handler = TRANSITIONS.get((self.state, event))
        return [] if handler is None else handler(self, now, arg)

    def _open(self, now: float, _: Any) -> list[SessionOutput]:
        self.opened_at = now
        self._next_ping = now + self.config.ping_interval
        self._rotate_at = now + self.config.max_lifetime - self.config.rotate_margin
        if self.login:
            self.state = State.LOGGING_IN
            subs = [f for f in self._queue if isinstance(f, Sub | Unsub)]
            self._held.extend(subs)
            self._queue = deque(f for f in self._queue if not isinstance(f, Sub | Unsub))
            self._queue.appendleft(Login())
            self._login_deadline = now + self.config.login_timeout
        else:
            self.state = State.LIVE
        return self.poll(now)

    def _pong(self, now: float, _: Any) -> list[SessionOutput]:
        self.pongs += 1
        if self._ping_sent is not None:
            self.last_pong_rtt = now - self._ping_sent
        self._ping_sent = None
        return []

    def _login_ok(self, now: float, _: Any) -> list[SessionOutput]:
        if self.filters is None:
            return self._go_live(now)
        self.state = State.FILTERING
        self._queue.appendleft(Filter(self.filters))
        return self.poll(now)

    def _filter_ok(self, now: float, _: Any) -> list[SessionOutput]:
        return self._go_live(now)

    def _login_error(self, now: float, text: str) -> list[SessionOutput]:
        return self._close([LoginFailed(text)], "login")

    def _closed(self, now: float, _: Any) -> list[SessionOutput]:
        self.state = State.CLOSED
        self._queue.clear()
        self._held.clear()
        return []

    def _go_live(self, now: float) -> list[SessionOutput]:
        self.state = State.LIVE
        self._login_deadline = _INF
        self._queue.extend(self._held)
        self._held.clear()
        return [LoggedIn(), *self.poll(now)]

    # ---------------------------------------------------------------- helpers

    def _flush(self, now: float, out: list[SessionOutput]) -> None:
        window, limit, queue = self._sent_at, self.config.max_per_second, self._queue
        while window and now - window[0] >= 1.0:
            window.popleft()
        while queue and len(window) < limit:
            frame = queue.popleft()
            if isinstance(frame, Ping) and self._ping_sent is None:
                self._ping_sent = now
            window.append(now)
            self.frames_sent += 1
            out.append(Send(frame))

    def _close(self, out: list[SessionOutput], reason: str) -> list[SessionOutput]:
        self.state = State.CLOSED
        self._queue.clear()
        out.append(CloseConn(reason))
        return out


Handler = Callable[[Session, float, Any], list[SessionOutput]]

TRANSITIONS: dict[tuple[State, str], Handler] = {
    (State.CONNECTING, "open"): Session._open,
    (State.CONNECTING, "closed"): Session._closed,
    (State.LOGGING_IN, "pong"): Session._pong,
    (State.LOGGING_IN, "login_ok"): Session._login_ok,
    (State.LOGGING_IN, "error"): Session._login_error,  # bad signature / key: a clear failure
    (State.LOGGING_IN, "closed"): Session._closed,
    (State.FILTERING, "pong"): Session._pong,
    (State.FILTERING, "filter_ok"): Session._filter_ok,
    (State.FILTERING, "error"): Session._login_error,
    (State.FILTERING, "closed"): Session._closed,
    (State.LIVE, "pong"): Session._pong,
    (State.LIVE, "closed"): Session._closed,
    # LIVE + "error" (unknown contract) has no row: counted by the shell, the session goes on.
    # Acks arriving twice (rs.login, rs.personal.filter) in LIVE are ignored likewise.
}

__all__ = [
    "TRANSITIONS",
    "ClientFrame",
    "CloseConn",
    "Filter",
    "LoggedIn",
    "Login",
    "LoginFailed",
    "Ping",
    "RotateDue",
    "Send",
    "Session",
    "SessionConfig",
    "SessionOutput",
    "State",
    "StreamStale",
    "Sub",
    "Unsub",
]

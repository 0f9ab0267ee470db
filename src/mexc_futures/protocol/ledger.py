"""Subscription ledger: which connection carries which stream (spec §7.3, reliability S7/S9).

Pure bookkeeping that decides and returns the I/O to perform (``Open``, ``Send``, ``Close``):
  * at most ``max_per_conn`` streams (default 30, Mexc.Net's self-limit) on one connection; more
    streams open more connections (first fit, lowest connection id first);
  * a connection is opened only together with the stream it will carry, and closed as soon as its
    last stream goes (the venue kills sockets with no subscription after 30 s: S9);
  * after a reconnect ``replace(conn)`` returns the subscribe frames that restore the connection;
  * rotation (make-before-break, S6): ``rotate(conn)`` opens a twin carrying the same streams, and
    ``retire(old)`` closes the old one once the shell has seen the twin take over.
Stream identity is ``(channel, symbol, params)``; a repeated ``add`` is a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


class Stream(msgspec.Struct, frozen=True, order=True):
    """One public subscription: ``sub.<channel>`` with ``symbol`` and extra ``params``."""

    channel: str
    symbol: str | None = None
    params: tuple[tuple[str, str | int | bool], ...] = ()

    @classmethod
    def of(cls, channel: str, symbol: str | None = None, **params: str | int | bool) -> Stream:
        """Build a stream with params sorted by name (so equal requests are equal streams)."""
        return cls(channel, symbol, tuple(sorted(params.items())))

    def param(self) -> dict[str, str | int | bool]:
        """The ``param`` object of the ``sub.<channel>`` frame."""
        out: dict[str, str | int | bool] = dict(self.params)
        if self.symbol is not None:
            out["symbol"] = self.symbol
        return out


class Open(msgspec.Struct, frozen=True):
    """Shell: open connection ``conn``."""

    conn: int


class Subscribe(msgspec.Struct, frozen=True):
    """Shell: send ``sub.<channel>`` for ``stream`` on ``conn``."""

    conn: int
    stream: Stream


class Unsubscribe(msgspec.Struct, frozen=True):
    """Shell: send ``unsub.<channel>`` for ``stream`` on ``conn`` (never wait for an ack)."""

    conn: int
    stream: Stream


class Close(msgspec.Struct, frozen=True):
    """Shell: close connection ``conn`` (it has no stream left, or was rotated out)."""

    conn: int


LedgerAction = Open | Subscribe | Unsubscribe | Close


class Ledger:
    """Stream placement over connections; see the module docstring."""

    def __init__(self, max_per_conn: int = 30) -> None:
        if max_per_conn < 1:
            raise ValueError("max_per_conn must be >= 1")
        self.max_per_conn = max_per_conn
        self._conns: dict[int, list[Stream]] = {}
        self._where: dict[Stream, int] = {}
        self._retiring: set[int] = set()
        self._next_id = 1

    # ---------------------------------------------------------------- reading

    @property
    def connections(self) -> Mapping[int, tuple[Stream, ...]]:
        """Active connections (not retiring) and their streams, in subscription order."""
        return {c: tuple(s) for c, s in self._conns.items()}

    def conn_of(self, stream: Stream) -> int | None:
        """The active connection carrying ``stream``."""
        return self._where.get(stream)

    def streams_on(self, conn: int) -> tuple[Stream, ...]:
        """Streams placed on ``conn`` (empty for unknown or retiring connections)."""
        return tuple(self._conns.get(conn, ()))

    def __len__(self) -> int:
        return len(self._where)

    # ---------------------------------------------------------------- decisions

    def add(self, stream: Stream) -> list[LedgerAction]:
        """Place ``stream``: on the first connection with room, else on a new one."""
        if stream in self._where:
            return []
        for conn, streams in sorted(self._conns.items()):
            if len(streams) < self.max_per_conn:
                streams.append(stream)
                self._where[stream] = conn
                return [Subscribe(conn, stream)]
        conn = self._new_conn()
        self._conns[conn] = [stream]
        self._where[stream] = conn
        return [Open(conn), Subscribe(conn, stream)]

    def remove(self, stream: Stream) -> list[LedgerAction]:
        """Drop ``stream``; closes its connection when it was the last one there."""
        conn = self._where.pop(stream, None)
        if conn is None:
            return []
        streams = self._conns[conn]
        streams.remove(stream)
        if streams:
            return [Unsubscribe(conn, stream)]
        del self._conns[conn]
        return [Close(conn)]

    def replace(self, conn: int) -> list[LedgerAction]:
        """Subscribe frames that restore ``conn`` after a reconnect (same id, same streams)."""
        return [Subscribe(conn, s) for s in self._conns.get(conn, ())]

    def rotate(self, conn: int) -> tuple[int, list[LedgerAction]]:
        """Open a twin of ``conn`` with the same streams; ``conn`` retires (no new placements)."""
        streams = self._conns.pop(conn, None)
        if streams is None:
            raise KeyError(f"no active connection {conn}")
        twin = self._new_conn()
        self._conns[twin] = streams
        for s in streams:
            self._where[s] = twin
        self._retiring.add(conn)
        return twin, [Open(twin), *(Subscribe(twin, s) for s in streams)]

    def retire(self, conn: int) -> list[LedgerAction]:
        """Close a rotated-out connection (after its twin took over)."""
        if conn not in self._retiring:
            return []
        self._retiring.discard(conn)
        return [Close(conn)]

    def drop_connection(self, conn: int) -> list[Stream]:
        """Forget ``conn`` entirely (its streams are removed, nothing to send); returns them."""
        self._retiring.discard(conn)
        streams = self._conns.pop(conn, [])
        for s in streams:
            self._where.pop(s, None)
        return streams

    def _new_conn(self) -> int:
        conn = self._next_id
        self._next_id += 1
        return conn


__all__ = [
    "Close",
    "Ledger",
    "LedgerAction",
    "Open",
    "Stream",
    "Subscribe",
    "Unsubscribe",
]

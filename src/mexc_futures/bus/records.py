"""What the bus carries, encoded (design §0 "what the bus carries", §2.5). Pure.

A market-data stream entry (``mx:md:{channel}:{symbol}``) is the same record a recording line
holds (``recording/format.py``: receive time, connection, exact frame bytes) plus the gateway's
per-stream sequence, as four Redis stream fields::

    r  receive time, ns since the epoch (decimal)
    c  the gateway's connection id (decimal)
    s  per-stream sequence, 1, 2, 3, ... from the gateway's start (decimal); a consumer that sees
       s jump (it fell behind the retention window, or the bus lost entries) knows it missed
       frames and re-syncs that book from a gateway snapshot
    d  the raw MEXC push frame, byte for byte as received from the venue

Control events (``mx:md:ctl``) and snapshot requests (``mx:snap:req``) are msgspec structs in a
single field ``m`` (JSON), so a ``redis-cli XRANGE`` shows them readably.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

CtlKind = Literal["up", "down", "resync", "deal_gap", "snapshot", "stopping"]


class MdRecord(msgspec.Struct, frozen=True):
    """One decoded market-data stream entry."""

    recv_ns: int
    conn: int
    seq: int
    frame: bytes


def encode_md(recv_ns: int, conn: int, seq: int, frame: bytes) -> dict[bytes, bytes]:
    """The XADD fields of one market-data entry."""
    return {b"r": b"%d" % recv_ns, b"c": b"%d" % conn, b"s": b"%d" % seq, b"d": frame}


def decode_md(fields: Mapping[bytes, bytes]) -> MdRecord:
    """Fields of an XREAD entry -> ``MdRecord``; ``ValueError`` when a field is missing/garbled."""
    try:
        return MdRecord(int(fields[b"r"]), int(fields[b"c"]), int(fields[b"s"]), fields[b"d"])
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"not a market-data bus entry ({exc!r}): {dict(fields)!r:.120}") from None


class CtlEvent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A gateway control event on ``mx:md:ctl``.

    ``up``/``down``: a gateway connection (``conn``) came up / went down (its streams may have
    missed frames: consumers expect a resync); ``resync``: the gateway's own book of ``symbol``
    re-synced (``reason``); ``deal_gap``: deals of ``symbol`` may be missing on the gateway
    (MarketData ``DealGap``); ``snapshot``: answered request ``req``; ``stopping``: gateway exits.
    """

    kind: CtlKind
    ts_ns: int
    gateway: str
    symbol: str = ""
    conn: int = -1
    reason: str = ""
    req: str = ""


SnapWhat = Literal["depth", "depth_commits", "deals"]


class SnapRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A consumer asks the gateway for what its book sync would ask REST (``what``): ``depth``
    is answered from the gateway's exact book, ``depth_commits``/``deals`` (reconnect bridging,
    deal-gap recovery) through the gateway's own REST budget. The answer is pushed to the list
    ``names.snapshot_reply(symbol, req)`` (expires after 30 s)."""

    symbol: str
    req: str
    what: SnapWhat = "depth"
    limit: int | None = None
    ts_ns: int = 0


class SnapReply(msgspec.Struct, frozen=True, kw_only=True):
    """The gateway's answer: ``body`` in the REST ``data`` shape of ``what`` (``depth``:
    ``{"asks": [[price, vol]...], "bids": ..., "version": N, "timestamp": ms}``), or ``error``
    when it has none (not subscribed, book not synced yet, the venue refused)."""

    symbol: str
    req: str
    body: msgspec.Raw = msgspec.Raw(b"null")
    error: str = ""
    version: int = 0
    ts_ns: int = 0


_ENC = msgspec.json.Encoder()
_CTL = msgspec.json.Decoder(CtlEvent)
_REQ = msgspec.json.Decoder(SnapRequest)
_REP = msgspec.json.Decoder(SnapReply)


def encode_msg(msg: CtlEvent | SnapRequest | SnapReply) -> dict[bytes, bytes]:
    return {b"m": _ENC.encode(msg)}


def decode_ctl(fields: Mapping[bytes, bytes]) -> CtlEvent:
    return _CTL.decode(fields[b"m"])


def decode_request(fields: Mapping[bytes, bytes]) -> SnapRequest:
    return _REQ.decode(fields[b"m"])


def encode_reply(reply: SnapReply) -> bytes:
    return _ENC.encode(reply)


def decode_reply(raw: bytes) -> SnapReply:
    return _REP.decode(raw)

"""``Link``: the I/O side of one emulator WebSocket connection.

Its own module so that the server and the benchmark modes (``benchmode``) share it without
importing each other (issue #11: no import cycles).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from mexc_futures.emulator.server.fanout import Conn


@dataclass(slots=True)
class Link:
    """The I/O side of one WebSocket connection."""

    conn: Conn
    transport: asyncio.Transport
    peer: str
    opened_ms: int
    closed: bool = False
    stalled_bytes: int = 0
    sent_frames: int = 0
    close_code: int | None = None
    info: dict[str, Any] = field(default_factory=dict)


__all__ = ["Link"]

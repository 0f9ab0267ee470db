"""A connection whose peer went away between two pushes is dropped quietly: under uvloop a write
to a closed transport raises and its pseudo-socket has fd -1, which took the whole emulator down
(the paced benchmark mode writes outside ``tick``'s guard) — seen in ``./run bench bus``."""

from __future__ import annotations

from typing import Any

from mexc_futures.emulator.server.fanout import Conn
from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.emulator.server.link import Link
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.emulator.server.ws_session import WsSession


class ClosedTransport:
    """What uvloop's TCPTransport does once the peer is gone."""

    def is_closing(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0

    def write(self, data: bytes) -> None:
        raise RuntimeError("unable to perform operation on <TCPTransport closed=True>")

    def get_extra_info(self, name: str) -> Any:
        return _Sock()

    def abort(self) -> None:
        raise RuntimeError("unable to perform operation on <TCPTransport closed=True>")

    def close(self) -> None:
        pass


class _Sock:
    def setsockopt(self, *args: Any) -> None:
        raise ValueError("negative file descriptor")


def test_push_and_drop_on_a_connection_whose_peer_is_gone_do_not_raise() -> None:
    ex = Emulator(symbols=["BTC_USDT"])
    session = WsSession(1, limits=WsLimits(), resolve_symbol=lambda s: s, verify_login=None,
                        now_s=0.0)
    link = Link(Conn(session), ClosedTransport(), "test", 0)  # type: ignore[arg-type]
    ex.send_raw(link, b"frame", 1)
    assert link.closed
    assert link.sent_frames == 0
    ex._drop(Link(Conn(session), ClosedTransport(), "test", 0))  # type: ignore[arg-type]

"""Order-lane dispatch of the REST client (spec §3.2 signing, §5.3–§5.4 order endpoints).

Contract:

* ``LANE_ENDPOINTS`` (``order/create``, ``cancel``, ``cancel_with_external``, ``cancel_all``)
  go over ``transport.order_lane`` while the lane is usable: persistent raw HTTP/1.1
  connections, one pre-built header template per path (everything up to the ``Request-Time``
  value, built on first use), the body encoded by msgspec and signed from the precomputed HMAC
  state (``Signer.sign_bytes``) — the same signature the aiohttp path sends.
* ``send`` signs and writes one request now, or raises ``LaneUnavailable`` with nothing sent (the
  caller then uses aiohttp). ``answer`` awaits the response: a ``LaneFailure`` (drop, timeout,
  unparsed answer) is reported to ``notify`` as "no answer" and raised as ``TransportError``
  with ``fate_unknown`` set for state-changing calls — never retried here. An answer the lane
  does not parse marks it unusual: no lane request after that (``usable`` is False).
* Logs name the endpoint and the failure kind — never headers, the signature or the secret.

``RestCore`` owns one ``LaneDispatch`` per client (when it has credentials and the lane is on);
the status/envelope classification of a lane answer is the core's, shared with aiohttp.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from mexc_futures.clock import Clock
from mexc_futures.errors import TransportError
from mexc_futures.protocol.endpoints import Endpoint
from mexc_futures.protocol.signing import Signer
from mexc_futures.transport.order_lane import (
    LaneFailure,
    LaneResponse,
    LaneUnavailable,
    OrderLane,
)

log = logging.getLogger("mexc_futures.rest")

#: Endpoints sent over the order lane (fixed paths, signed POSTs).
LANE_ENDPOINTS = frozenset(
    {"order_create", "order_cancel", "order_cancel_external", "order_cancel_all"}
)

#: ``notify(ep, http_status, code, ok)``: the core's observer hook (0 / -1: no answer).
Notify = Callable[[Endpoint, int, int, bool], None]


class LaneDispatch:
    """Signed requests over one ``OrderLane`` (see the module docstring)."""

    def __init__(self, lane: OrderLane, signer: Signer, *, clock: Clock, notify: Notify) -> None:
        self.lane = lane
        self._signer = signer
        self._clock = clock
        self._notify = notify
        self._heads: dict[str, bytes] = {}

    def usable(self, ep: Endpoint) -> bool:
        """``ep`` is a lane endpoint and the lane has not met an answer it cannot parse."""
        return not self.lane.unusual and ep.name in LANE_ENDPOINTS

    def send(
        self,
        url_path: str,
        payload: bytes,
        timeout: float,
        request_time: str,
        recv_window_ms: int | None,
    ) -> tuple[asyncio.Future[LaneResponse], float]:
        """Sign and write one request now; returns its future and the monotonic send time
        (raises ``LaneUnavailable``: nothing sent)."""
        head = self._heads.get(url_path)
        if head is None:
            head = self._heads[url_path] = self._head(url_path, recv_window_ms)
        sig = self._signer.sign_bytes(request_time, payload)
        request = b"".join(
            (
                head,
                request_time.encode(),
                b"\r\nSignature: ",
                sig.encode(),
                b"\r\nContent-Length: ",
                str(len(payload)).encode(),
                b"\r\n\r\n",
                payload,
            )
        )
        t0 = self._clock.monotonic()
        return self.lane.send(request, timeout), t0

    def _head(self, url_path: str, recv_window_ms: int | None) -> bytes:
        """The fixed part of a lane request: everything up to the ``Request-Time`` value."""
        fixed = self._signer.auth_headers("", "", recv_window_ms=recv_window_ms)
        lines = [f"POST {url_path} HTTP/1.1", f"Host: {self.lane.authority}"]
        lines += [f"{k}: {v}" for k, v in fixed.items() if k not in ("Request-Time", "Signature")]
        lines += ["Accept-Encoding: identity", "Connection: keep-alive", "Request-Time: "]
        return "\r\n".join(lines).encode("latin-1")

    async def answer(
        self, ep: Endpoint, fut: asyncio.Future[LaneResponse], changes_state: bool
    ) -> LaneResponse:
        """The response to a sent request; a lane failure raises ``TransportError``."""
        lane = self.lane
        try:
            return await fut
        except LaneFailure as e:
            lane.note_unusual(fut)
            if lane.unusual:
                log.warning("order lane: unusual answer (%s); using aiohttp from now on", e)
            self._notify(ep, 0, -1, False)
            what = "timed out" if "in time" in str(e) else type(e).__name__
            log.warning("%s %s: no answer (%s, lane)", ep.method, ep.name, what)
            raise TransportError(
                f"{ep.name}: no answer ({what})", fate_unknown=changes_state, endpoint=ep.name
            ) from None

    async def warm(self) -> bool:
        """Have an idle connection ready; False if the lane is unusual or cannot connect."""
        lane = self.lane
        if lane.unusual:
            return False
        if lane.has_idle():
            return True
        try:
            await lane.connect()
        except (OSError, TimeoutError, LaneUnavailable) as e:
            log.warning("order lane: cannot connect (%s)", type(e).__name__)
            return False
        return True


__all__ = ["LANE_ENDPOINTS", "LaneDispatch", "Notify"]

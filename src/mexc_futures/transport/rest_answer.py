"""Reading one REST answer: HTTP status and envelope into ``data`` or an error (spec §2, §6;
``RestCore`` mixes it in).

* HTTP 4xx/5xx: classified by ``errors.error_from_http_status`` and logged, never retried here.
* An envelope error: the ``ApiError`` of its code; a server error (5xx family) on a request that
  changes state is fate-unknown (the caller looks it up), on a read it is retryable.
* A 2xx body that does not decode (reliability D12) counts as a failed request for the kill
  switch's error rate (observer code ``UNDECODABLE``); on a state-changing call it is
  ``MalformedAnswer`` with ``fate_unknown=True``; ``success:true, data:null`` on an order lookup
  means "not found yet" (fidelity row 4); a ``RecursionError`` never escapes raw.
* Logs carry method, endpoint name, status or code, latency and the path taken (``lane`` /
  ``aiohttp``) — never headers, the signature or the secret; exchange text is escaped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec

from mexc_futures.clock import Clock
from mexc_futures.errors import (
    ApiError,
    MalformedAnswer,
    MalformedFrame,
    MexcError,
    OrderNotFoundError,
    ProtocolDriftError,
    ServerError,
    error_from_http_status,
    escape_exchange_text,
)
from mexc_futures.protocol.codec import decode_response
from mexc_futures.protocol.endpoints import Endpoint
from mexc_futures.protocol.ratelimit import RateLimiter

log = logging.getLogger("mexc_futures.rest")

#: Observer code for a 2xx answer that did not decode (counts as a failure for the kill switch).
UNDECODABLE = -2

#: Order lookups whose ``success:true, data:null`` answer means "no such order (yet)".
LOOKUPS = frozenset({"order_get", "order_get_external"})


def _data_is_null(raw: bytes) -> bool:
    try:
        env = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return False
    return isinstance(env, dict) and env.get("success") is True and env.get("data") is None


class AnswerReader:
    """See the module docstring; state lives on the client."""

    clock: Clock
    limiter: RateLimiter

    if TYPE_CHECKING:

        def _notify(self, ep: Endpoint, status: int, code: int, ok: bool) -> None: ...

    def _finish(
        self, ep: Endpoint, status: int, raw: bytes, ms: float, changes_state: bool, via: str
    ) -> Any:
        """Classify one answer (HTTP status, envelope) into ``data`` or an ``ApiError``;
        ``via`` (``lane`` / ``aiohttp``) is logged."""
        if status != 200:
            self._notify(ep, status, status, False)
            err = error_from_http_status(
                status,
                raw.decode("utf-8", "replace"),
                endpoint=ep.name,
                state_changing=changes_state,
            )
            log.warning(
                "%s %s -> HTTP %d (%s) in %.1f ms via %s",
                ep.method,
                ep.name,
                status,
                type(err).__name__,
                ms,
                via,
            )
            raise err
        try:
            data = decode_response(ep, raw)
        except ApiError as err:
            self._notify(ep, 200, err.code, False)
            if isinstance(err, ServerError):
                err.fate_unknown = changes_state
                err.retryable = not changes_state
            log.info("%s %s -> code %d in %.1f ms via %s", ep.method, ep.name, err.code, ms, via)
            raise
        except (MalformedFrame, ProtocolDriftError, RecursionError, ValueError) as err:
            raise self._undecodable(ep, raw, err, changes_state, ms, via) from None
        self._notify(ep, 200, 0, True)
        self.limiter.on_success(ep.bucket, self.clock.monotonic())
        log.debug("%s %s -> ok in %.1f ms via %s", ep.method, ep.name, ms, via)
        return data

    def _undecodable(
        self,
        ep: Endpoint,
        raw: bytes,
        err: Exception,
        changes_state: bool,
        ms: float,
        via: str,
    ) -> MexcError:
        """A 2xx body that does not decode (D12): counted as a failed request (kill switch's
        error rate); fate-unknown on a state-changing call; ``data:null`` on an order lookup
        is "not found yet" (fidelity row 4); never a raw ``RecursionError``."""
        self._notify(ep, 200, UNDECODABLE, False)
        what = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        log.warning(
            "%s %s -> HTTP 200 but undecodable (%s) in %.1f ms via %s",
            ep.method,
            ep.name,
            escape_exchange_text(what, 200),
            ms,
            via,
        )
        if changes_state:
            return MalformedAnswer(
                f"{ep.name}: the answer could not be read ({escape_exchange_text(what, 200)}); "
                "the venue may have acted: resolving by lookup",
                fate_unknown=True,
                endpoint=ep.name,
            )
        if ep.name in LOOKUPS and _data_is_null(raw):
            return OrderNotFoundError(
                5002, "data:null (not found yet)", endpoint=ep.name
            )
        if isinstance(err, RecursionError):
            return MalformedFrame(f"{ep.name}: answer nested too deeply to decode")
        assert isinstance(err, MexcError)  # nosec B101  # the codec's errors are MexcErrors
        return err

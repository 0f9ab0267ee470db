"""Fuzz ``decode_frame``/``decode_response``: any input raises only the documented errors."""

from __future__ import annotations

import gzip
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexc_futures import decode_frame, decode_response
from mexc_futures.errors import ApiError, MalformedFrame, ProtocolDriftError
from mexc_futures.protocol import ws
from mexc_futures.protocol.endpoints import ENDPOINTS

DOCUMENTED = (MalformedFrame, ProtocolDriftError)
CHANNELS = [*ws.CHANNELS, "rs.sub.deal", "rs.unsub.depth", "push.other"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ok(raw: str | bytes) -> None:
    try:
        msg = decode_frame(raw)
    except DOCUMENTED:
        return
    assert msg.channel


@FAST
@given(st.binary(max_size=200))
def test_random_bytes(raw: bytes) -> None:
    _ok(raw)
    _ok(gzip.compress(raw))


@FAST
@given(st.text(max_size=200))
def test_random_text(raw: str) -> None:
    _ok(raw)


@FAST
@given(st.sampled_from(CHANNELS), json_values, st.one_of(st.integers(), st.text(max_size=5)))
def test_random_payload_on_known_channels(channel: str, data: object, ts: object) -> None:
    _ok(json.dumps({"channel": channel, "data": data, "ts": ts, "symbol": "X"}))


@FAST
@given(st.sampled_from(ENDPOINTS), json_values, st.booleans(), st.integers(-5, 3000))
def test_random_envelopes(ep: object, data: object, success: bool, code: int) -> None:
    raw = json.dumps({"success": success, "code": code, "data": data})
    try:
        decode_response(ep, raw)  # type: ignore[arg-type]
    except (*DOCUMENTED, ApiError):
        pass

"""Decode WebSocket frames and REST envelopes; encode client WebSocket frames (spec §2, §7).

``decode_frame(raw)`` — one ``msgspec`` pass over a tagged union of every known channel (a 190-byte
``push.depth`` decodes in ~0.7 µs). Outcomes, and the only exceptions it raises:

* a known channel with the expected shape -> its struct from ``protocol.ws``;
* ``rs.sub.<x>`` / ``rs.unsub.<x>`` acks -> ``SubAck`` / ``UnsubAck``;
* an unknown channel -> ``Unknown(channel, raw)``, counted in ``UNKNOWN_COUNTER[channel]``; never
  dropped;
* a known channel whose shape changed (missing field, object where a number was, ...) or a JSON
  frame with no string ``channel`` -> ``ProtocolDriftError`` naming channel, field and finding;
* not JSON / not UTF-8 / a binary frame that is not gzip -> ``MalformedFrame``, counted in
  ``GARBAGE_COUNTER[reason]``.

A binary frame (bytes starting with the gzip magic) is gunzipped (bounded to ``MAX_FRAME_BYTES``)
and then parsed (§7.1: the docs' ``gzip`` option).

``decode_response(endpoint, raw)`` — the §2 envelope ``{success, code, message, data}``:
``success:true`` with a code in ``endpoint.ok_codes`` -> typed ``data`` (see ``endpoints``);
``success:false`` with any other code -> ``error_from_code(code, message, endpoint=name)`` raised;
a self-contradicting envelope (``success:false`` with ``code:0``, the docs' placeholder examples, or
``success:true`` with an error code) -> ``ProtocolDriftError`` unless ``trust_code=True``, in which
case the code decides. A body that is not an envelope -> ``ProtocolDriftError``.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import msgspec

from mexc_futures.errors import MalformedFrame, ProtocolDriftError, error_from_code
from mexc_futures.protocol import ws
from mexc_futures.protocol.endpoints import Endpoint, endpoint
from mexc_futures.protocol.rest import BareId

#: Frames seen per unknown channel (process-wide, never reset by the codec).
UNKNOWN_COUNTER: Counter[str] = Counter()
#: Undecodable frames per reason: ``json``, ``utf8``, ``gzip``, ``too_large``.
GARBAGE_COUNTER: Counter[str] = Counter()
#: Upper bound for a gunzipped frame (the largest live frame, the first ``push.tickers``: 351 KB).
MAX_FRAME_BYTES = 16 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"


def _build_frame_decoder() -> msgspec.json.Decoder[Any]:
    union: Any = ws.TAGGED[0]
    for t in ws.TAGGED[1:]:
        union = union | t
    return msgspec.json.Decoder(union, strict=False)


_FRAME_DECODER = _build_frame_decoder()
_DEPTH_DECODER = msgspec.json.Decoder(ws.DepthPush, strict=False)


class _Head(msgspec.Struct):
    channel: Any = None


_HEAD = msgspec.json.Decoder(_Head)
_ACK = msgspec.json.Decoder(ws.SubAck, strict=False)
_UNSUB_ACK = msgspec.json.Decoder(ws.UnsubAck, strict=False)


def _where(err: msgspec.ValidationError, root: str) -> str:
    return str(err).replace("`$", "`" + root)


def _gunzip(raw: bytes) -> bytes:
    try:
        d = zlib.decompressobj(wbits=31)
        out = d.decompress(raw, MAX_FRAME_BYTES)
    except zlib.error as exc:
        GARBAGE_COUNTER["gzip"] += 1
        raise MalformedFrame(f"binary frame is not valid gzip ({exc})") from None
    if d.unconsumed_tail:
        GARBAGE_COUNTER["too_large"] += 1
        raise MalformedFrame(f"gzip frame inflates beyond {MAX_FRAME_BYTES} bytes")
    if not d.eof:
        GARBAGE_COUNTER["gzip"] += 1
        raise MalformedFrame("binary frame is a truncated gzip stream")
    return out


def decode_frame(raw: str | bytes) -> ws.WsMessage:
    """Decode one server->client frame (spec §7). See the module docstring for the outcomes."""
    try:
        return _decode_frame(raw)
    except RecursionError:  # JSON nested past the decoder's limit (D3): garbage, not a crash
        GARBAGE_COUNTER["json"] += 1
        raise MalformedFrame(f"frame nested too deeply: {_preview(raw)}") from None


def _decode_frame(raw: str | bytes) -> ws.WsMessage:
    try:
        return _FRAME_DECODER.decode(raw)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        return _slow_path(raw, exc)
    except msgspec.DecodeError:
        if isinstance(raw, bytes | bytearray | memoryview) and bytes(raw[:2]) == _GZIP_MAGIC:
            return _decode_inflated(_gunzip(bytes(raw)))
        GARBAGE_COUNTER["json"] += 1
        raise MalformedFrame(f"frame is not JSON: {_preview(raw)}") from None


def frame_fast_path() -> Callable[[str | bytes | memoryview], ws.WsMessage]:
    """The one-pass typed decode behind ``decode_frame``, without its outcome handling.

    Takes ``str`` or any bytes-like object (a ``memoryview`` of a transport buffer works: no
    frame struct holds a ``msgspec.Raw``, so the result keeps no reference to the buffer).
    For a per-frame loop that wants no extra call layer: call it, and on any
    ``msgspec.MsgspecError`` call ``decode_frame(raw)`` for the documented outcome (ack,
    ``Unknown``, gzip, ``MalformedFrame``, ``ProtocolDriftError``). Whatever it returns is exactly
    what ``decode_frame`` returns for the same bytes.
    """
    return _FRAME_DECODER.decode


def depth_fast_path() -> Callable[[str | bytes | memoryview], ws.DepthPush]:
    """A ``push.depth``-only decode: ``frame_fast_path``'s result for a depth frame, without the
    tagged union's search for the tag (MEXC sends ``channel`` after ``data``). Raises
    ``msgspec.MsgspecError`` for anything else: the caller then takes ``frame_fast_path``."""
    return _DEPTH_DECODER.decode


def _decode_inflated(raw: bytes) -> ws.WsMessage:
    try:
        return _FRAME_DECODER.decode(raw)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        return _slow_path(raw, exc)
    except msgspec.DecodeError:
        GARBAGE_COUNTER["json"] += 1
        raise MalformedFrame(f"gunzipped frame is not JSON: {_preview(raw)}") from None


def _preview(raw: str | bytes, n: int = 80) -> str:
    return repr(raw[:n]) + ("…" if len(raw) > n else "")


def _slow_path(raw: str | bytes, exc: msgspec.ValidationError) -> ws.WsMessage:
    try:
        head = _HEAD.decode(raw)
    except msgspec.ValidationError:  # valid JSON, but not an object
        raise ProtocolDriftError(f"frame is not a JSON object: {_preview(raw)}") from None
    except msgspec.DecodeError:  # the typed pass failed before reaching the bad bytes
        GARBAGE_COUNTER["json"] += 1
        raise MalformedFrame(f"frame is not JSON: {_preview(raw)}") from None
    channel = head.channel
    if not isinstance(channel, str):
        raise ProtocolDriftError(
            f"frame has no string 'channel' (found {type(channel).__name__}): {_preview(raw)}"
        )
    if channel in ws.CHANNELS:
        raise ProtocolDriftError(f"channel {channel!r} changed shape: {_where(exc, 'frame')}")
    try:
        if channel.startswith("rs.sub."):
            return _ACK.decode(raw)
        if channel.startswith("rs.unsub."):
            return _UNSUB_ACK.decode(raw)
    except msgspec.ValidationError as ack_exc:
        raise ProtocolDriftError(
            f"channel {channel!r} changed shape: {_where(ack_exc, 'frame')}"
        ) from None
    except msgspec.DecodeError:
        GARBAGE_COUNTER["json"] += 1
        raise MalformedFrame(f"frame is not JSON: {_preview(raw)}") from None
    UNKNOWN_COUNTER[channel] += 1
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    return ws.Unknown(channel, text)


# ---------------------------------------------------------------- REST (§2)


class _Envelope(msgspec.Struct):
    success: Any = None
    code: Any = 0
    message: Any = ""
    data: msgspec.Raw = msgspec.Raw()


_ENVELOPE = msgspec.json.Decoder(_Envelope)
_ID_DECODER = msgspec.json.Decoder(int | str)


@cache
def _data_decoder(response: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(response, strict=False)


def _resolve(ep: Endpoint | str) -> Endpoint:
    return ep if isinstance(ep, Endpoint) else endpoint(ep)


def decode_data(ep: Endpoint | str, data: bytes | str | None) -> Any:
    """Decode a bare ``data`` JSON value with ``ep``'s response type (``None`` if absent).

    ``BareId`` -> ``str``; ``None`` response type (void call) -> ``None`` whatever was sent;
    a shape mismatch -> ``ProtocolDriftError`` naming endpoint and field.
    """
    e = _resolve(ep)
    rtype = e.response
    if rtype is None:
        return None
    if data is None or data == b"null" or data == "null":
        if _allows_none(rtype):
            return None
        raise ProtocolDriftError(f"{e.name}: response has no 'data' but one was expected")
    try:
        if rtype is BareId:
            value = _ID_DECODER.decode(data)
            return str(value)
        return _data_decoder(rtype).decode(data)
    except msgspec.ValidationError as exc:
        raise ProtocolDriftError(f"{e.name}: {_where(exc, 'data')}") from None
    except msgspec.DecodeError:
        raise MalformedFrame(f"{e.name}: 'data' is not JSON: {_preview(data)}") from None


def _allows_none(rtype: Any) -> bool:
    if rtype is Any:
        return True
    args = getattr(rtype, "__args__", ())
    return type(None) in args


def decode_response(ep: Endpoint | str, raw: bytes | str, *, trust_code: bool = False) -> Any:
    """Decode a REST body (spec §2) for ``ep`` (an ``Endpoint`` or its name).

    Returns the typed ``data``; raises the ``ApiError`` subclass of the envelope code,
    ``ProtocolDriftError`` (shape changed / contradictory envelope) or ``MalformedFrame``
    (not JSON). ``trust_code=True`` lets the code alone decide when ``success`` contradicts it.
    """
    e = _resolve(ep)
    try:
        env = _ENVELOPE.decode(raw)
    except msgspec.ValidationError:
        raise ProtocolDriftError(
            f"{e.name}: body is not a JSON object envelope: {_preview(raw)}"
        ) from None
    except msgspec.DecodeError:
        raise MalformedFrame(f"{e.name}: body is not JSON: {_preview(raw)}") from None
    success, code, message = env.success, env.code, env.message
    if success is None:
        raise ProtocolDriftError(
            f"{e.name}: body is not a §2 envelope (no 'success' field): {_preview(raw)}"
        )
    if not isinstance(success, bool):
        raise ProtocolDriftError(
            f"{e.name}: envelope 'success' must be a boolean, found {success!r}"
        )
    if not isinstance(code, int) or isinstance(code, bool):
        raise ProtocolDriftError(f"{e.name}: envelope 'code' must be an integer, found {code!r}")
    text = message if isinstance(message, str) else ("" if message is None else str(message))
    ok_code = code in e.ok_codes
    if success != ok_code and not trust_code:
        raise ProtocolDriftError(
            f"{e.name}: envelope contradicts itself (success={success}, code={code}); "
            "the docs show such bodies only as placeholders"
        )
    if not ok_code:
        raise error_from_code(code, text, endpoint=e.name)
    return decode_data(e, bytes(env.data) if len(env.data) else None)


# ---------------------------------------------------------------- client frames (§7.2–§7.7)

#: Keepalive (§7.2): send every 10–20 s.
PING_FRAME = b'{"method":"ping"}'
_enc = msgspec.json.Encoder()


def encode_sub(channel: str, gzip: bool | None = None, **param: object) -> bytes:
    """``{"method":"sub.<channel>","param":{...}}`` compact (§7.3); one symbol per frame.

    ``gzip`` (§7.1), when given, goes at the top level as in the v1 docs' example; the venue sends
    text frames whatever it says.
    """
    frame: dict[str, object] = {"method": "sub." + channel, "param": param}
    if gzip is not None:
        frame["gzip"] = gzip
    return _enc.encode(frame)


def encode_unsub(channel: str, **param: object) -> bytes:
    """``{"method":"unsub.<channel>","param":{...}}`` (§7.3; never ``usub.``, the v1 typo)."""
    return _enc.encode({"method": "unsub." + channel, "param": param})


def encode_login(api_key: str, req_time: str, signature: str, subscribe: bool = False) -> bytes:
    """The ``login`` frame (§7.6). ``signature = hex(HMAC(secret, apiKey + reqTime))``.

    With ``subscribe=False`` the flag is sent **both** inside ``param`` (Mexc.Net, 2026 clients)
    and at the top level (v1 docs), since which one the venue reads is [UNCONFIRMED]; with
    ``subscribe=True`` it is omitted (pushing everything is the venue default).
    """
    param: dict[str, object] = {"apiKey": api_key, "reqTime": str(req_time), "signature": signature}
    frame: dict[str, object] = {"method": "login", "param": param}
    if not subscribe:
        param["subscribe"] = False
        frame["subscribe"] = False
    return _enc.encode(frame)


FilterSpec = Mapping[str, Sequence[str] | None] | Iterable[tuple[str, Sequence[str] | None]]


def encode_personal_filter(filters: FilterSpec) -> bytes:
    """``personal.filter`` (§7.7): ``{filter: rules}``; ``None`` rules = all symbols (key omitted).

    An empty mapping means "every private push". Each call replaces the previous filter set.
    """
    items = filters.items() if isinstance(filters, Mapping) else filters
    out: list[dict[str, object]] = []
    for name, rules in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"filter name must be a non-empty string, got {name!r}")
        entry: dict[str, object] = {"filter": name}
        if rules is not None:
            if isinstance(rules, str):
                raise ValueError(f"rules for {name!r} must be a sequence of symbols, not a str")
            entry["rules"] = list(rules)
        out.append(entry)
    return _enc.encode({"method": "personal.filter", "param": {"filters": out}})


__all__ = [
    "GARBAGE_COUNTER",
    "MAX_FRAME_BYTES",
    "PING_FRAME",
    "UNKNOWN_COUNTER",
    "FilterSpec",
    "decode_data",
    "decode_frame",
    "decode_response",
    "encode_login",
    "encode_personal_filter",
    "encode_sub",
    "encode_unsub",
    "frame_fast_path",
]

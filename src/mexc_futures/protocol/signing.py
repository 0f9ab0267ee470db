"""Request signing for MEXC Futures (spec §3) — sans-I/O.

``signature = lowercase_hex(HMAC_SHA256(secret, apiKey + Request-Time + paramString))`` (§3.2):

* GET/DELETE: ``paramString`` is the business parameters sorted by key (ASCII, Java ``TreeMap``),
  ``None`` values dropped, booleans as ``true``/``false``, path parameters never included, values
  **raw** (``order_ids=1,2``) as MEXC's 2026 demo SDKs sign them (§3.3 table, fidelity row 16).
  The URL query is sent percent-encoded like Java ``URLEncoder`` (unreserved
  ``A-Z a-z 0-9 - _ . *``, upper-case ``%XX``, ``%20`` for space): ``order_ids=1%2C2``. Only comma
  lists (``order_ids``, ``states``) differ between the two. The server's real choice is
  [UNCONFIRMED]; see docs/signing.md.
* POST: the exact body bytes sent; an empty body signs ``""``.
* WS login (§7.6): ``apiKey + reqTime``.

The HMAC key (and the ``apiKey`` prefix) is absorbed once into a precomputed HMAC state; every
signature copies it. The secret is never stored, logged or shown: ``repr`` masks the key.

Verification helpers (``verify_get``/``verify_post``/``verify_ws_login``) are for the emulator:
GET accepts the encoded, raw, ``+``-for-space and Python-``urlencode`` variants and the exact
received query string, compared in constant time (§3.3 conclusion 2, §12.2).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal
from urllib.parse import quote, quote_plus, unquote

from mexc_futures.errors import ConfigError

__all__ = [
    "DEFAULT_RECV_WINDOW_MS",
    "MAX_AHEAD_MS",
    "MAX_RECV_WINDOW_MS",
    "GetSigning",
    "Signer",
    "canonical_query",
    "encode_value",
    "get_signing_string",
    "mask_key",
    "parse_recv_window",
    "render_value",
    "request_time_in_window",
    "verify_get",
    "verify_post",
    "verify_ws_login",
]

#: server default window (§3.4)
DEFAULT_RECV_WINDOW_MS = 10_000
#: cap of ``Recv-Window`` (§3.4: "maximum 60" seconds)
MAX_RECV_WINDOW_MS = 60_000
#: how far ahead of server time a Request-Time may be (§3.4, CN table: 2 s)
MAX_AHEAD_MS = 2_000

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*")
_BYTE_PCT20: tuple[str, ...] = tuple(
    chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256)
)
_BYTE_PLUS: tuple[str, ...] = tuple("+" if b == 0x20 else s for b, s in enumerate(_BYTE_PCT20))
_NEEDS_ENCODING = re.compile(r"[^A-Za-z0-9\-_.*]").search


def mask_key(api_key: str) -> str:
    """Show an API key as ``mx0v…EY01`` (first 4 and last 4); short keys become ``****``."""
    if len(api_key) < 12:
        return "****"
    return f"{api_key[:4]}…{api_key[-4:]}"


def render_value(value: object) -> str:
    """Render one GET parameter value before encoding.

    ``str`` as is; ``bool`` as ``true``/``false``; ``int`` in decimal; ``Decimal`` and ``float``
    in plain (non-exponent) notation; enums by their value; lists/tuples comma-joined (batch
    parameters such as ``order_ids``). Anything else is a ``TypeError``.
    """
    if type(value) is str:
        return value
    if type(value) is int:
        return int.__repr__(value)
    if isinstance(value, enum.Enum):
        return render_value(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, list | tuple):
        return ",".join(render_value(v) for v in value)
    raise TypeError(f"cannot render a GET parameter of type {type(value).__name__}")


def encode_value(text: str, *, plus_for_space: bool = False) -> str:
    """Percent-encode like Java ``URLEncoder.encode(v, "UTF-8")``; space -> ``%20`` (the docs'
    ``replace("+", "%20")``) or ``+`` when ``plus_for_space``. Hex digits are upper-case."""
    if _NEEDS_ENCODING(text) is None:
        return text
    table = _BYTE_PLUS if plus_for_space else _BYTE_PCT20
    return "".join([table[b] for b in text.encode("utf-8")])


def canonical_query(
    params: Mapping[str, object], *, encode: bool = True, plus_for_space: bool = False
) -> str:
    """The GET/DELETE ``paramString`` (§3.2): ``k=v`` sorted by key, joined by ``&``.

    ``None`` values are dropped. ``encode=False`` gives the raw-value variant (demo SDKs,
    pymexc). Keys are taken as they are (snake_case ASCII). No parameters give ``""``.
    """
    if not params:
        return ""
    parts: list[str] = []
    append = parts.append
    for key in sorted(params):
        value = params[key]
        if value is None:
            continue
        text = value if type(value) is str else render_value(value)
        if encode and _NEEDS_ENCODING(text) is not None:
            text = encode_value(text, plus_for_space=plus_for_space)
        append(f"{key}={text}")
    return "&".join(parts)


def get_signing_string(query: str) -> str:
    """The string a GET is signed over, from the encoded ``query`` it sends: the same pairs with
    raw values (``order_ids=1%2C2`` -> ``order_ids=1,2``), as MEXC's 2026 demo SDKs sign
    (fidelity row 16; ``canonical_query(params, encode=False)`` of the same params)."""
    if "%" not in query and "+" not in query:
        return query
    pairs = (part.partition("=") for part in query.split("&"))
    return "&".join(f"{k}={unquote(v)}" if sep else k for k, sep, v in pairs)


class Signer:
    """HMAC-SHA256 signer for one API key (spec §3.2, §7.6).

    The secret is absorbed into a precomputed HMAC state at construction and not kept.
    ``repr``/``str`` show only the masked key.
    """

    __slots__ = ("_api_key", "_base")

    def __init__(self, api_key: str, secret: str) -> None:
        if not api_key or not secret:
            raise ConfigError(
                "API key and secret must both be non-empty; set MEXC_API_KEY and MEXC_API_SECRET."
            )
        self._api_key = api_key
        self._base = hmac.new(secret.encode("utf-8"), api_key.encode("utf-8"), hashlib.sha256)

    @property
    def api_key(self) -> str:
        """The access key (sent in the ``ApiKey`` header; not a secret, but shown masked)."""
        return self._api_key

    @property
    def masked_key(self) -> str:
        """The key as shown in logs and reprs."""
        return mask_key(self._api_key)

    def __repr__(self) -> str:
        return f"Signer(api_key={self.masked_key!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Signer holds key material and cannot be pickled")

    def sign(self, request_time: str, param_string: str) -> str:
        """Signature over ``apiKey + request_time + param_string`` (lowercase hex)."""
        mac = self._base.copy()
        mac.update(f"{request_time}{param_string}".encode())
        return mac.hexdigest()

    def sign_bytes(self, request_time: str, payload: bytes) -> str:
        """Signature over ``apiKey + request_time`` followed by the exact ``payload`` bytes."""
        mac = self._base.copy()
        mac.update(request_time.encode("ascii"))
        if payload:
            mac.update(payload)
        return mac.hexdigest()

    def sign_get(self, request_time: str, params: Mapping[str, object]) -> tuple[str, str]:
        """Return ``(query_string, signature)`` for GET/DELETE business ``params`` (path
        parameters must not be in ``params``). Send ``query_string`` verbatim as the URL query
        (no leading ``?``; empty when there are no parameters)."""
        if not params:
            query = signed = ""
        else:
            query = canonical_query(params)
            signed = get_signing_string(query)  # raw values: 2026 demo SDKs (fidelity row 16)
        mac = self._base.copy()
        mac.update(f"{request_time}{signed}".encode())
        return query, mac.hexdigest()

    def sign_post(self, request_time: str, body: bytes | str) -> str:
        """Signature for a POST whose body is exactly ``body`` (``""`` for no body)."""
        payload = body.encode("utf-8") if isinstance(body, str) else body
        return self.sign_bytes(request_time, payload)

    def ws_login(self, request_time: str) -> dict[str, str]:
        """The ``param`` object of the WS ``login`` frame (§7.6)."""
        return {
            "apiKey": self._api_key,
            "reqTime": request_time,
            "signature": self.sign(request_time, ""),
        }

    def auth_headers(
        self, request_time: str, signature: str, *, recv_window_ms: int | None = None
    ) -> dict[str, str]:
        """Headers of a signed REST call (§3.1). ``Recv-Window`` is sent only when given, in
        milliseconds ([UNCONFIRMED] unit, see docs/signing.md)."""
        headers = {
            "ApiKey": self._api_key,
            "Request-Time": request_time,
            "Signature": signature,
            "Content-Type": "application/json",
        }
        if recv_window_ms is not None:
            headers["Recv-Window"] = str(int(recv_window_ms))
        return headers


# --- verification (emulator side) -------------------------------------------------------------


def _digest_matches(
    signer: Signer, request_time: str, candidates: Iterable[bytes], sig: str
) -> bool:
    want = sig.strip().lower().encode("ascii", "replace")
    ok = False
    for payload in candidates:
        got = signer.sign_bytes(request_time, payload).encode("ascii")
        ok |= hmac.compare_digest(got, want)
    return ok


def _python_variant(params: Mapping[str, object], quoter: object) -> str:
    fn = quote_plus if quoter is quote_plus else quote
    parts = [
        f"{k}={fn(render_value(v), safe='')}" for k, v in sorted(params.items()) if v is not None
    ]
    return "&".join(parts)


GetSigning = Literal["any", "raw", "encoded"]


def verify_get(
    signer: Signer,
    request_time: str,
    params: Mapping[str, object],
    signature: str,
    *,
    raw_query: str | None = None,
    accept: GetSigning = "any",
) -> bool:
    """True if ``signature`` matches any accepted GET variant (§3.3): Java-encoded with ``%20``,
    Java-encoded with ``+``, raw values, Python ``quote``/``quote_plus`` (ccxt, typed-mexc), or
    the exact received ``raw_query``. ``params`` are the decoded query parameters.
    ``accept="raw"`` takes only the raw-value string, ``"encoded"`` only the percent-encoded
    ones (fidelity row 16: an emulator that can refuse the client's choice)."""
    variants: set[str] = set()
    if accept != "raw":
        variants |= {
            canonical_query(params),
            canonical_query(params, plus_for_space=True),
            _python_variant(params, quote),
            _python_variant(params, quote_plus),
        }
    if accept != "encoded":
        variants.add(canonical_query(params, encode=False))
    if raw_query is not None and accept == "any":
        variants.add(raw_query.lstrip("?"))
    return _digest_matches(signer, request_time, (v.encode() for v in variants), signature)


def verify_post(signer: Signer, request_time: str, body: bytes, signature: str) -> bool:
    """True if ``signature`` matches the exact received ``body`` bytes (§3.3 conclusion 3)."""
    return _digest_matches(signer, request_time, (body,), signature)


def verify_ws_login(signer: Signer, request_time: str, signature: str) -> bool:
    """True if ``signature`` is the WS login signature for ``request_time`` (§7.6)."""
    return _digest_matches(signer, request_time, (b"",), signature)


def parse_recv_window(value: str | None, *, default_ms: int = DEFAULT_RECV_WINDOW_MS) -> int:
    """Window in ms from a ``Recv-Window`` header ([UNCONFIRMED] units, §3.4): absent or invalid
    -> ``default_ms``; values ≤ 60 are seconds, larger values milliseconds; capped at 60 s."""
    if value is None:
        return default_ms
    try:
        number = int(value.strip())
    except ValueError:
        return default_ms
    if number <= 0:
        return default_ms
    window = number * 1000 if number <= 60 else number
    return min(window, MAX_RECV_WINDOW_MS)


def request_time_in_window(
    request_time: str, now_ms: int, window_ms: int = DEFAULT_RECV_WINDOW_MS
) -> bool:
    """§3.4 check (emulator): invalid when more than 2 s ahead of ``now_ms`` or more than
    ``window_ms`` behind it, or not an integer."""
    try:
        t = int(request_time)
    except ValueError:
        return False
    return t - now_ms <= MAX_AHEAD_MS and now_ms - t <= window_ms

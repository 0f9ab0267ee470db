"""Authentication of signed REST calls and WS logins (spec §3, §7.6, §12.2) -- sans-I/O.

Order of checks, exactly as §12.2 prescribes (each failure is HTTP 200 + envelope):

1. ``ApiKey`` header present and known, else **401** "Unauthorized".
2. ``Request-Time`` within the window: not more than 2 s ahead of server time and not more than
   the window behind it (``Recv-Window``/``Revc-Window`` header: values ≤ 60 are seconds, larger
   are milliseconds, capped at 60 s, default 10 s -- [UNCONFIRMED] units), else **513**.
   The window bounds a request's *real* latency and the client's clock error, so on an emulator
   running at ``speed`` S (venue time S × real) both bounds are S × longer in venue ms
   (``window_scale``): a login signed 2 real seconds before it arrives is in the window at any
   speed, as it is on the venue; 11 real seconds late is refused at any speed.
3. ``Signature`` over ``apiKey + Request-Time + paramString`` (GET: sorted query, encoded, raw,
   ``+`` and -- when its keys are sorted -- exact-received variants; POST: the raw body bytes as
   received), else **602**
   "Signature verification failed!".
4. A read-only key calling a trade endpoint (a state-changing POST) gets **704**.

A missing ``ApiKey`` gets 401 rather than 506 ([UNCONFIRMED], spec §3.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mexc_futures.protocol.signing import (
    DEFAULT_RECV_WINDOW_MS,
    MAX_AHEAD_MS,
    GetSigning,
    Signer,
    parse_recv_window,
    verify_get,
    verify_post,
    verify_ws_login,
)

UNAUTHORIZED = (401, "Unauthorized")
BAD_TIME = (513, "Invalid request (for open api serves time more or less than 10s)")
BAD_SIGNATURE = (602, "Signature verification failed!")
NO_TRADE = (704, "No trade permission: enable order placing for this API key")

# signed POST endpoints that only read (a read-only key may call them)
READ_POSTS = frozenset(
    {
        "order_batch_query_external",
        "open_order_total_count_post",
        "asset_analysis_v3",
        "asset_analysis_daily",
        "asset_analysis_monthly",
        "asset_analysis_recent",
    }
)


class AuthFailure(Exception):
    """A rejected call; ``code``/``message`` go into the envelope."""

    def __init__(self, code_message: tuple[int, str]) -> None:
        super().__init__(code_message[1])
        self.code, self.message = code_message


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One accepted key: its signer, the venue account it acts on and whether it may trade."""

    api_key: str
    signer: Signer
    account: str
    trade: bool = True


class KeyTable:
    """The keys the emulator accepts (several keys may share one account)."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    def add(self, api_key: str, secret: str, *, account: str | None = None,
            trade: bool = True) -> ApiKey:
        key = ApiKey(api_key, Signer(api_key, secret), account or api_key, trade)
        self._keys[api_key] = key
        return key

    def get(self, api_key: str | None) -> ApiKey | None:
        return self._keys.get(api_key) if api_key else None

    def accounts(self) -> list[str]:
        return sorted({k.account for k in self._keys.values()})


def in_window(
    request_time: str,
    now_ms: int,
    window_ms: int = DEFAULT_RECV_WINDOW_MS,
    window_scale: float = 1.0,
) -> bool:
    """§3.4 check on a server clock running ``window_scale`` × real time: refused when more than
    2 real seconds ahead of ``now_ms`` or more than ``window_ms`` real ms behind it, or not an
    integer (at scale 1 exactly ``protocol.signing.request_time_in_window``)."""
    try:
        t = int(request_time)
    except ValueError:
        return False
    scale = window_scale if window_scale > 0 else 1.0
    return t - now_ms <= MAX_AHEAD_MS * scale and now_ms - t <= window_ms * scale


def is_trade_endpoint(name: str, method: str) -> bool:
    """State-changing signed calls (need the "Order Placing" permission, spec §5)."""
    return method == "POST" and name not in READ_POSTS


def authenticate(
    keys: KeyTable,
    headers: Mapping[str, str],
    *,
    method: str,
    query: Mapping[str, str],
    raw_query: str,
    body: bytes,
    now_ms: int,
    trade: bool,
    get_signing: GetSigning = "any",
    window_scale: float = 1.0,
) -> ApiKey:
    """Check one signed request; return the key or raise ``AuthFailure`` (spec §12.2 order)."""
    key = keys.get(headers.get("ApiKey"))
    if key is None:
        raise AuthFailure(UNAUTHORIZED)
    req_time = headers.get("Request-Time", "")
    window = parse_recv_window(headers.get("Recv-Window") or headers.get("Revc-Window"))
    if not in_window(req_time, now_ms, window, window_scale):
        raise AuthFailure(BAD_TIME)
    sig = headers.get("Signature", "")
    if method == "GET":
        exact = raw_query if _keys_sorted(raw_query) else None
        ok = verify_get(key.signer, req_time, query, sig, raw_query=exact, accept=get_signing)
    else:
        ok = verify_post(key.signer, req_time, body, sig)
    if not ok:
        raise AuthFailure(BAD_SIGNATURE)
    if trade and not key.trade:
        raise AuthFailure(NO_TRADE)
    return key


def _keys_sorted(raw_query: str) -> bool:
    """Whether the received query lists its keys in ASCII order. Only then may the query string
    exactly as received count as a signed variant: live rejects signatures over unsorted keys
    (spec §3.3 conclusion 1), so an unsorted query signed as sent must get 602 here too."""
    keys = [part.split("=", 1)[0] for part in raw_query.lstrip("?").split("&") if part]
    return keys == sorted(keys)


def login(
    keys: KeyTable, api_key: str, req_time: str, signature: str, now_ms: int,
    window_scale: float = 1.0,
) -> tuple[str | None, str | None]:
    """WS ``login`` (§7.6): ``(account, None)`` or ``(None, rs.error text)`` [UNCONFIRMED texts].
    The same time window as REST applies (default 10 s behind, 2 s ahead, real seconds: scaled
    by ``window_scale`` = the emulator's speed)."""
    key = keys.get(api_key)
    if key is None:
        return None, "Login failed: unknown apiKey"
    if not in_window(req_time, now_ms, window_scale=window_scale):
        return None, "Login failed: reqTime outside the allowed window"
    if not verify_ws_login(key.signer, req_time, signature):
        return None, "Login failed: signature verification failed"
    return key.account, None


__all__ = [
    "BAD_SIGNATURE",
    "BAD_TIME",
    "NO_TRADE",
    "UNAUTHORIZED",
    "ApiKey",
    "AuthFailure",
    "KeyTable",
    "authenticate",
    "in_window",
    "is_trade_endpoint",
    "login",
]

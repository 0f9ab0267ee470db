"""One exception tree for the toolkit (spec §6; seams "Foundation A").

Contract:

* ``MexcError`` is the root of everything this package raises on purpose.
* ``ApiError`` is a MEXC envelope error (``{"success":false,"code":N}``, spec §2/§6.1) or an
  edge failure without an envelope (HTTP 4xx/5xx; then ``code`` equals the HTTP status).
  Every class carries three flags that callers branch on:

  - ``retryable``: sending the same request again (signed afresh) may succeed.
  - ``fate_unknown``: for a state-changing call the venue may or may not have acted; resolve by
    lookup (e.g. ``order/external/{symbol}/{externalOid}``) before any retry (scenarios S16–S18).
  - ``fatal_config``: the key, secret, IP whitelist or permissions are wrong; stop and explain,
    never retry (401, 402, 406, 602, 701–704).

  ``error_from_code`` picks the class from ``ERROR_CODES``; an unknown code gives
  ``UnknownApiError``. Passing ``state_changing`` refines the flags of server errors: a failed
  read is simply retryable, a failed write has an unknown fate.
* Exchange-provided text is escaped (no control characters, bounded length) before it enters any
  exception text; ``.message`` holds the escaped text, ``.raw_message`` the original.
* Every message says what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar

__all__ = [
    "ERROR_CODES",
    "ORDER_ERROR_CODES",
    "AccountError",
    "ApiError",
    "ApiKeyExpiredError",
    "AuthError",
    "BadRequestError",
    "ClockSkewError",
    "ConfigError",
    "DuplicateRequestError",
    "EdgeError",
    "EdgeServerError",
    "FeatureDisabledError",
    "InsufficientBalanceError",
    "IpNotWhitelistedError",
    "KillSwitchActive",
    "LeverageError",
    "LimitExceededError",
    "MaintenanceError",
    "MalformedFrame",
    "MexcError",
    "OrderNotCancellableError",
    "OrderNotFoundError",
    "OrderRejectedError",
    "PermissionError_",
    "PositionError",
    "PriceError",
    "ProtocolDriftError",
    "QuantityError",
    "RateLimitError",
    "ServerError",
    "SignatureError",
    "SystemBusyError",
    "TradingDisabledError",
    "TransportError",
    "TriggerOrderError",
    "UnauthorizedError",
    "UnknownApiError",
    "UnknownCurrencyError",
    "UnknownSourceError",
    "UnknownSymbolError",
    "ValidationError",
    "describe_code",
    "error_from_code",
    "error_from_http_status",
    "escape_exchange_text",
]

_MAX_EXCHANGE_TEXT = 300

# pymexc's translation table (spec §2): Chinese messages seen on the venue.
_TRANSLATIONS: Mapping[str, str] = MappingProxyType(
    {
        "没有权限!": "No permission",
        "禁止访问!": "Access denied",
        "请求参数错误!": "Request parameter error",
        "请求频率过快!": "Requests too frequent",
        "合约不存在!": "Contract does not exist",
        "签名验证失败!": "Signature verification failed",
        "系统内部错误!": "Internal system error",
    }
)


def escape_exchange_text(text: object, limit: int = _MAX_EXCHANGE_TEXT) -> str:
    """Return ``text`` safe for logs and terminals: control and other non-printable characters
    become ``\\xNN``/``\\uNNNN`` escapes, backslashes are doubled, and the result is cut to
    ``limit`` characters (with ``…``). Printable non-ASCII (e.g. Chinese) is kept."""
    s = text if isinstance(text, str) else str(text)
    out: list[str] = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        else:
            o = ord(ch)
            out.append(
                f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"
            )
    res = "".join(out)
    if len(res) > limit:
        res = res[:limit] + "…"
    return res


class MexcError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(MexcError):
    """Configuration or secrets are missing or unsafe; the message says how to fix it."""


class ProtocolDriftError(MexcError):
    """A frame or response of a known kind changed shape: the venue changed its protocol."""


class MalformedFrame(MexcError):
    """A WebSocket frame or REST body is not parseable JSON (or a binary frame is not gzip).

    Unlike ``ProtocolDriftError`` this says nothing about a protocol change: the bytes themselves
    are garbage (truncation, corruption). Count it and carry on; reconnect if it repeats."""


class KillSwitchActive(MexcError):
    """The kill switch is latched (invariant I8); no order may be created until an operator
    resets it."""


class ValidationError(MexcError):
    """A client-side check failed before anything was sent.

    ``field`` names the checked value (``vol``, ``price``, ``leverage``...), ``limit`` names the
    rule (e.g. ``"minVol=1"``) and ``nearest`` is the nearest valid value, when one exists.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        limit: str | None = None,
        nearest: Decimal | int | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.limit = limit
        self.nearest = nearest


class TransportError(MexcError):
    """Network failure or timeout: no answer was read. For a state-changing call the venue may
    have acted (``fate_unknown``); resolve by lookup before retrying."""

    def __init__(
        self, message: str, *, fate_unknown: bool = True, endpoint: str | None = None
    ) -> None:
        super().__init__(message)
        self.fate_unknown = fate_unknown
        self.endpoint = endpoint


class ApiError(MexcError):
    """An error answer from MEXC (spec §2, §6.1). See the module docstring for the flags."""

    retryable: bool = False
    fate_unknown: bool = False
    fatal_config: bool = False
    #: re-measure the clock offset (``/api/v1/contract/ping``) before retrying (spec §3.4)
    remeasure_clock: ClassVar[bool] = False
    #: what the user should do; per-code hints in ``_HINTS`` take precedence
    hint: ClassVar[str] = "See spec §6.1 for this code."

    def __init__(
        self,
        code: int,
        message: str = "",
        *,
        http_status: int = 200,
        endpoint: str | None = None,
    ) -> None:
        self.code = int(code)
        self.raw_message = message
        self.message = escape_exchange_text(message)
        self.http_status = int(http_status)
        self.endpoint = endpoint
        super().__init__(self._render())

    def _render(self) -> str:
        meaning = _MEANINGS.get(self.code) or (
            "HTTP error without a MEXC envelope" if self.http_status != 200 else "unrecognised code"
        )
        where = f" on {escape_exchange_text(self.endpoint, 120)}" if self.endpoint else ""
        said = ""
        if self.message:
            said = f'; exchange said "{self.message}"'
            english = _TRANSLATIONS.get(self.raw_message.strip())
            if english:
                said += f" ({english})"
        http = f" [HTTP {self.http_status}]" if self.http_status != 200 else ""
        return f"MEXC error {self.code} ({meaning}){where}{http}{said}. {self.what_to_do}"

    @property
    def what_to_do(self) -> str:
        """The instruction for the user."""
        return _HINTS.get(self.code, self.hint)

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild,
            (type(self), self.code, self.raw_message, self.http_status, self.endpoint),
        )


def _rebuild(
    cls: type[ApiError], code: int, message: str, http_status: int, endpoint: str | None
) -> ApiError:
    return cls(code, message, http_status=http_status, endpoint=endpoint)


class UnknownApiError(ApiError):
    """A code this toolkit does not know. Not retried."""

    hint = "This code is not in the documented table (spec §6.1); do not retry blindly."


# --- server side -----------------------------------------------------------------------------


class ServerError(ApiError):
    """9999/500/501 or HTTP 5xx. A read may be retried with backoff; a write's fate is unknown."""

    retryable = False
    fate_unknown = True
    hint = (
        "For reads, retry with backoff. For order or position changes, look the request up "
        "(by externalOid) before doing anything else: it may have been executed."
    )


class SystemBusyError(ServerError):
    """501 system busy."""


class EdgeError(ApiError):
    """An HTTP error from the edge (Akamai) without a MEXC envelope; ``code`` is the status."""

    hint = "The edge refused the request; check the URL and your network, then retry later."


class EdgeServerError(ServerError, EdgeError):
    """HTTP 5xx from the edge."""


# --- auth / configuration --------------------------------------------------------------------


class AuthError(ApiError):
    """The key or the signature is not accepted. Fatal configuration: never retried."""

    fatal_config = True
    hint = "Check MEXC_API_KEY / MEXC_API_SECRET and the key's settings on mexc.com."


class UnauthorizedError(AuthError):
    """401."""


class ApiKeyExpiredError(AuthError):
    """402."""


class IpNotWhitelistedError(AuthError):
    """406."""


class SignatureError(AuthError):
    """602."""


class UnknownSourceError(AuthError):
    """506: the request carried neither an ApiKey nor an Authorization header (a client bug)."""

    fatal_config = False


class PermissionError_(AuthError):
    """701–704: the key lacks a permission (the underscore avoids the builtin name)."""


class AccountError(ApiError):
    """1000 account does not exist."""


# --- pacing / clock ---------------------------------------------------------------------------


class RateLimitError(ApiError):
    """510 (and 2037, HTTP 429): back off, then retry (scenario S19)."""

    retryable = True
    hint = "Back off and retry later; lower the request rate (spec §9)."


class ClockSkewError(ApiError):
    """513: Request-Time outside the window. Retry after re-measuring the clock offset (S21)."""

    retryable = True
    remeasure_clock = True


class DuplicateRequestError(ApiError):
    """603 repeated request: an identical request was seen; its fate must be looked up."""

    fate_unknown = True


class BadRequestError(ApiError):
    """600/601/6003/6004: the request is malformed (a client bug). Not retried."""

    hint = "Fix the request; do not retry it as is."


# --- trading disabled family ------------------------------------------------------------------


class TradingDisabledError(ApiError):
    """1002/511/6001/6002: the venue does not accept this action from this key or contract."""

    hint = "The venue does not accept this action now (spec §11); do not retry."


class MaintenanceError(TradingDisabledError):
    """604/801: the feature or the system is under maintenance (spec §11)."""


class FeatureDisabledError(ApiError):
    """8817: the feature is disabled by the venue."""


# --- instruments ------------------------------------------------------------------------------


class UnknownSymbolError(ApiError):
    """1001/6005: unknown or delisted contract."""

    hint = "Use a symbol listed by /api/v1/contract/detail."


class UnknownCurrencyError(ApiError):
    """4001 unsupported currency."""


# --- order rejections -------------------------------------------------------------------------


class OrderRejectedError(ApiError):
    """The venue rejected the order or order change; nothing was done. Not retried as is."""

    hint = "Fix the order parameters; nothing was executed."


class InsufficientBalanceError(OrderRejectedError):
    """2005/2018."""


class PriceError(OrderRejectedError):
    """Order price outside the allowed band or grid."""


class QuantityError(OrderRejectedError):
    """Order quantity outside the bounds or grid."""


class LeverageError(OrderRejectedError):
    """Leverage not allowed here."""


class PositionError(OrderRejectedError):
    """Position missing, closed, conflicting or over a limit."""


class LimitExceededError(OrderRejectedError):
    """A count limit (orders, cancels, batch size) was exceeded."""


class TriggerOrderError(OrderRejectedError):
    """Plan or TP/SL order parameters are wrong."""


class OrderNotFoundError(OrderRejectedError):
    """2040 (cancel item) / 5002: the order does not exist or is already closed."""


class OrderNotCancellableError(OrderRejectedError):
    """2041: the order's state does not allow cancelling (already filled or cancelled)."""


_PERM_HINT = "Enable the '{perm}' permission for this API key on mexc.com (API management)."
_QTY_HINT = (
    "vol is in contracts: it must be a multiple of volUnit and within [minVol, maxVol], and the "
    "price a multiple of priceUnit; round with ContractSpec.round_vol / round_price."
)

# code -> (class, meaning, hint or "")
_TABLE: dict[int, tuple[type[ApiError], str, str]] = {
    9999: (ServerError, "generic server error", ""),
    500: (ServerError, "internal server error", ""),
    501: (SystemBusyError, "system busy", ""),
    401: (
        UnauthorizedError,
        "unauthorized",
        "Check MEXC_API_KEY: the key is missing, mistyped or deleted.",
    ),
    402: (
        ApiKeyExpiredError,
        "API key expired",
        "Create a new API key on mexc.com; keys without an IP binding expire after 90 days.",
    ),
    406: (
        IpNotWhitelistedError,
        "IP not in whitelist",
        "Add this machine's IP to the key's whitelist on mexc.com (API management).",
    ),
    506: (
        UnknownSourceError,
        "unknown source of request",
        "The request carried no ApiKey header; this is a client bug, please report it.",
    ),
    510: (
        RateLimitError,
        "request frequency too high",
        "Back off and retry later; lower the request rate (spec §9).",
    ),
    511: (
        TradingDisabledError,
        "endpoint inaccessible",
        "This key may not call this endpoint; check the key's permissions and spec §11.",
    ),
    513: (
        ClockSkewError,
        "Request-Time outside the allowed window",
        "Re-measure the clock offset from /api/v1/contract/ping and retry with a fresh "
        "signature; sync this machine's clock (NTP) if it keeps happening.",
    ),
    600: (BadRequestError, "parameter error", "Fix the request parameters; do not retry as is."),
    601: (BadRequestError, "data decoding error", "The request body is not valid JSON."),
    602: (
        SignatureError,
        "signature verification failed",
        "Check MEXC_API_SECRET and that the request body is sent byte-for-byte as signed "
        "(and GET parameters sorted and encoded as signed).",
    ),
    603: (
        DuplicateRequestError,
        "repeated request",
        "Look the earlier request up (by externalOid) before sending anything new.",
    ),
    701: (PermissionError_, "account read permission required", _PERM_HINT.format(perm="Read")),
    702: (
        PermissionError_,
        "account modify permission required",
        _PERM_HINT.format(perm="Account modify"),
    ),
    703: (
        PermissionError_,
        "trade-info read permission required",
        _PERM_HINT.format(perm="Futures trade read"),
    ),
    704: (
        PermissionError_,
        "trade modify permission required",
        _PERM_HINT.format(perm="Futures order placing"),
    ),
    1000: (AccountError, "account does not exist", "Open and fund a futures account first."),
    1001: (
        UnknownSymbolError,
        "contract does not exist",
        "Use a BASE_QUOTE symbol from /api/v1/contract/detail (e.g. BTC_USDT); delisted "
        "contracts disappear from that list.",
    ),
    1002: (
        TradingDisabledError,
        "contract not activated / not allowed for API orders",
        "This contract or account does not accept API orders (apiAllowed=false, spec §11); "
        "trade another contract or ask MEXC to enable API trading.",
    ),
    1003: (PositionError, "risk-limit level error", "Choose a valid risk-limit level."),
    1004: (QuantityError, "amount error", _QTY_HINT),
    2001: (OrderRejectedError, "wrong order direction", "side must be 1, 2, 3 or 4 (spec §10)."),
    2002: (OrderRejectedError, "wrong open type", "openType must be 1 (isolated) or 2 (cross)."),
    2003: (PriceError, "price too high to buy", "Lower the buy price into the allowed band."),
    2004: (PriceError, "price too low to sell", "Raise the sell price into the allowed band."),
    2005: (
        InsufficientBalanceError,
        "insufficient balance",
        "Reduce the order size or leverage, or add margin to the futures account.",
    ),
    2006: (LeverageError, "leverage error", "Use a leverage within [minLeverage, maxLeverage]."),
    2007: (
        PriceError,
        "order price error",
        "Use a positive price that is a multiple of priceUnit.",
    ),
    2008: (PositionError, "insufficient quantity", "Close at most the open position size."),
    2009: (PositionError, "position does not exist or is closed", "Refresh positions first."),
    2011: (QuantityError, "order quantity error", _QTY_HINT),
    2013: (LimitExceededError, "cancel count over the limit", "Cancel at most 50 ids per call."),
    2014: (LimitExceededError, "batch order count over the limit", "Send smaller batches."),
    2015: (QuantityError, "price or quantity precision error", _QTY_HINT),
    2016: (TriggerOrderError, "trigger volume over the maximum", "Reduce the trigger volume."),
    2018: (
        InsufficientBalanceError,
        "exceeds max available margin",
        "Reduce the order size or leverage, or add margin.",
    ),
    2019: (PositionError, "an active open position exists", "Close the position first."),
    2021: (
        LeverageError,
        "leverage differs from the existing position",
        "Use the existing position's leverage, or change it first.",
    ),
    2022: (PositionError, "wrong position type", "positionType must be 1 (long) or 2 (short)."),
    2023: (LeverageError, "positions over max leverage exist", "Reduce leverage on positions."),
    2024: (LeverageError, "orders over max leverage exist", "Cancel or amend those orders."),
    2025: (PositionError, "position over the max allowed", "Reduce the order size."),
    2026: (LeverageError, "leverage change not supported for cross", "Use isolated margin."),
    2027: (
        PositionError,
        "only one of cross or isolated allowed per direction",
        "Use the margin mode of the existing position.",
    ),
    2028: (QuantityError, "max order quantity exceeded", _QTY_HINT),
    2029: (OrderRejectedError, "wrong order type", "type must be 1–6 (spec §10)."),
    2030: (OrderRejectedError, "externalOid too long", "Use an externalOid of at most 32 chars."),
    2031: (
        PositionError,
        "position exceeds current risk limit",
        "Reduce size or raise risk level.",
    ),
    2032: (PriceError, "order price below long liquidation price", "Raise the price."),
    2033: (PriceError, "order price above short liquidation price", "Lower the price."),
    2034: (LimitExceededError, "batch query count over the limit", "Query fewer ids per call."),
    2035: (OrderRejectedError, "unsupported market price tier", "Use a limit order."),
    2036: (LimitExceededError, "too many orders", "Cancel open orders or contact MEXC support."),
    2037: (RateLimitError, "trading too frequently", "Slow down order placement."),
    2038: (PositionError, "max position quantity exceeded", "Reduce size or contact support."),
    2040: (OrderNotFoundError, "order does not exist", "Refresh open orders; nothing to cancel."),
    2041: (
        OrderNotCancellableError,
        "order state cannot be cancelled",
        "The order is already filled or cancelled; refresh its state.",
    ),
    3001: (TriggerOrderError, "trigger price type error", "trend must be 1, 2 or 3."),
    3002: (TriggerOrderError, "trigger type error", "triggerType must be 1 (>=) or 2 (<=)."),
    3003: (TriggerOrderError, "execute cycle error", "executeCycle must be 1 or 2."),
    3004: (TriggerOrderError, "trigger price error", "Fix the trigger price."),
    4001: (UnknownCurrencyError, "unsupported currency", "Use a settle coin such as USDT."),
    5001: (TriggerOrderError, "TP and SL prices cannot both be empty", "Give at least one."),
    5002: (OrderNotFoundError, "stop order missing or closed", "Refresh stop orders."),
    5003: (TriggerOrderError, "TP/SL price setting wrong", "Check TP/SL against the price."),
    5004: (TriggerOrderError, "TP/SL volume exceeds closable position", "Reduce the volume."),
    6001: (TradingDisabledError, "trading forbidden", "Trading is disabled for this contract."),
    6002: (TradingDisabledError, "opening forbidden", "Only closing is allowed for this contract."),
    6003: (BadRequestError, "time range error", "Fix start/end times."),
    6004: (BadRequestError, "trading pair and status must be filled in", "Add symbol and state."),
    6005: (UnknownSymbolError, "trading pair not available", "Use another contract."),
    604: (
        MaintenanceError,
        "feature under maintenance",
        "This feature is under maintenance at MEXC (spec §11); try later or use another path.",
    ),
    801: (MaintenanceError, "system under maintenance", "MEXC is under maintenance; try later."),
    8817: (FeatureDisabledError, "feature disabled", "The venue has disabled this feature."),
}

_MEANINGS: dict[int, str] = {code: meaning for code, (_, meaning, _h) in _TABLE.items()}
_HINTS: dict[int, str] = {code: hint for code, (_, _m, hint) in _TABLE.items() if hint}

#: Envelope code -> exception class (spec §6.1 and the extra codes).
ERROR_CODES: Mapping[int, type[ApiError]] = MappingProxyType(
    {code: cls for code, (cls, _m, _h) in _TABLE.items()}
)

#: Order ``errorCode`` field -> name (spec §6.2; 22/23/999 from the v2 WS page).
ORDER_ERROR_CODES: Mapping[int, str] = MappingProxyType(
    {
        0: "normal",
        1: "param_invalid",
        2: "insufficient_balance",
        3: "position_not_exists",
        4: "position_not_enough",
        5: "position_liq",
        6: "order_liq",
        7: "risk_level_limit",
        8: "sys_cancel",
        9: "position_mode_not_match",
        10: "reduce_only_liq",
        11: "contract_not_enable",
        12: "delivery_cancel",
        13: "position_liq_cancel",
        14: "adl_cancel",
        15: "black_user_cancel",
        16: "settle_funding_cancel",
        17: "position_im_change_cancel",
        18: "ioc_cancel",
        19: "fok_cancel",
        20: "post_only_cancel",
        21: "market_cancel",
        22: "oid_duplicate",
        23: "cid_duplicate",
        999: "other",
    }
)


def describe_code(code: int) -> str:
    """One line for ``code``: class, meaning and what to do (``"unknown"`` codes say so)."""
    cls = ERROR_CODES.get(code, UnknownApiError)
    meaning = _MEANINGS.get(code, "unrecognised code")
    flags = [name for name in ("retryable", "fate_unknown", "fatal_config") if getattr(cls, name)]
    flag_text = f" [{', '.join(flags)}]" if flags else ""
    return f"{code} {cls.__name__}{flag_text}: {meaning}. {_HINTS.get(code, cls.hint)}"


def _refine(err: ApiError, state_changing: bool | None) -> ApiError:
    if state_changing is not None and isinstance(err, ServerError):
        err.fate_unknown = state_changing
        err.retryable = not state_changing
    return err


def error_from_code(
    code: int,
    message: str = "",
    *,
    http_status: int = 200,
    endpoint: str | None = None,
    state_changing: bool | None = None,
) -> ApiError:
    """Build the ``ApiError`` subclass for an envelope ``code`` (spec §6.1).

    ``state_changing`` (optional) refines server errors: ``False`` -> retryable and fate known,
    ``True`` -> not blindly retryable and fate unknown; ``None`` keeps the cautious class flags.
    """
    cls = ERROR_CODES.get(int(code), UnknownApiError)
    err = cls(code, message, http_status=http_status, endpoint=endpoint)
    return _refine(err, state_changing)


def error_from_http_status(
    http_status: int,
    body_text: str = "",
    *,
    endpoint: str | None = None,
    state_changing: bool | None = None,
) -> ApiError:
    """Build the error for a non-200 answer without a MEXC envelope (spec §2: edge failures).

    5xx -> ``EdgeServerError``; 429 -> ``RateLimitError``; others -> ``EdgeError``. ``code`` is
    the HTTP status. The body (often Akamai HTML) is escaped and cut short.
    """
    text = body_text[:200]
    err: ApiError
    if http_status >= 500:
        err = EdgeServerError(http_status, text, http_status=http_status, endpoint=endpoint)
    elif http_status == 429:
        err = RateLimitError(http_status, text, http_status=http_status, endpoint=endpoint)
    else:
        err = EdgeError(http_status, text, http_status=http_status, endpoint=endpoint)
    return _refine(err, state_changing)

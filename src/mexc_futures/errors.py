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

The code tables themselves (§6.1 meanings and hints, §6.2 order ``errorCode`` names, translations)
are data in ``mexc_futures.protocol.error_codes``; this module is the import path for all of it.

Layout: table module — the second half is one ``ApiError`` subclass per family of §6 codes, each
a few lines of flags and a what-to-do hint. It stays in one module so that
``except mexc_futures.errors.X`` finds every class in one place (issue #11).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar

from mexc_futures.protocol.error_codes import (
    CODE_TABLE,
    HINTS,
    MEANINGS,
    ORDER_ERROR_CODES,
    TRANSLATIONS,
)

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
    "MalformedAnswer",
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


class MalformedAnswer(TransportError):
    """An HTTP 2xx answer whose body could not be decoded (not JSON, a drifted shape, nested too
    deeply). For a state-changing call the venue may have acted: ``fate_unknown`` is set and the
    caller resolves by lookup, exactly as for a lost answer (reliability D12, fidelity row 3)."""


class ApiError(MexcError):
    """An error answer from MEXC (spec §2, §6.1). See the module docstring for the flags."""

    retryable: bool = False
    fate_unknown: bool = False
    fatal_config: bool = False
    #: re-measure the clock offset (``/api/v1/contract/ping``) before retrying (spec §3.4)
    remeasure_clock: ClassVar[bool] = False
    #: what the user should do; per-code hints in ``HINTS`` take precedence
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
        meaning = MEANINGS.get(self.code) or (
            "HTTP error without a MEXC envelope" if self.http_status != 200 else "unrecognised code"
        )
        where = f" on {escape_exchange_text(self.endpoint, 120)}" if self.endpoint else ""
        said = ""
        if self.message:
            said = f'; exchange said "{self.message}"'
            english = TRANSLATIONS.get(self.raw_message.strip())
            if english:
                said += f" ({english})"
        http = f" [HTTP {self.http_status}]" if self.http_status != 200 else ""
        return f"MEXC error {self.code} ({meaning}){where}{http}{said}. {self.what_to_do}"

    @property
    def what_to_do(self) -> str:
        """The instruction for the user."""
        return HINTS.get(self.code, self.hint)

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


def _class_named(name: str) -> type[ApiError]:
    cls = globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, ApiError)):
        raise TypeError(f"error_codes.CODE_TABLE names {name!r}, which is not an ApiError class")
    return cls


#: Envelope code -> exception class (spec §6.1 and the extra codes).
ERROR_CODES: Mapping[int, type[ApiError]] = MappingProxyType(
    {code: _class_named(name) for code, (name, _m, _h) in CODE_TABLE.items()}
)


def describe_code(code: int) -> str:
    """One line for ``code``: class, meaning and what to do (``"unknown"`` codes say so)."""
    cls = ERROR_CODES.get(code, UnknownApiError)
    meaning = MEANINGS.get(code, "unrecognised code")
    flags = [name for name in ("retryable", "fate_unknown", "fatal_config") if getattr(cls, name)]
    flag_text = f" [{', '.join(flags)}]" if flags else ""
    return f"{code} {cls.__name__}{flag_text}: {meaning}. {HINTS.get(code, cls.hint)}"


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

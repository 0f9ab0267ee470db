"""The MEXC code tables (spec §6): what each envelope code means and what to do about it, the order
``errorCode`` names, and the English of the venue's Chinese messages.

Data only, no behaviour: ``mexc_futures.errors`` turns ``CODE_TABLE`` into ``ERROR_CODES`` (code ->
exception class, resolved by name when it is imported, which fails loudly on a name that is not an
``ApiError`` class) and renders ``MEANINGS`` / ``HINTS`` into exception texts. Import the public
names from ``mexc_futures.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# pymexc's translation table (spec §2): Chinese messages seen on the venue.
TRANSLATIONS: Mapping[str, str] = MappingProxyType(
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

PERM_HINT = "Enable the '{perm}' permission for this API key on mexc.com (API management)."
QTY_HINT = (
    "vol is in contracts: it must be a multiple of volUnit and within [minVol, maxVol], and the "
    "price a multiple of priceUnit; round with ContractSpec.round_vol / round_price."
)

#: Envelope code -> (exception class name in ``mexc_futures.errors``, meaning, hint or "").
CODE_TABLE: Mapping[int, tuple[str, str, str]] = MappingProxyType(
    {
        9999: ("ServerError", "generic server error", ""),
        500: ("ServerError", "internal server error", ""),
        501: ("SystemBusyError", "system busy", ""),
        401: (
            "UnauthorizedError",
            "unauthorized",
            "Check MEXC_API_KEY: the key is missing, mistyped or deleted.",
        ),
        402: (
            "ApiKeyExpiredError",
            "API key expired",
            "Create a new API key on mexc.com; keys without an IP binding expire after 90 days.",
        ),
        406: (
            "IpNotWhitelistedError",
            "IP not in whitelist",
            "Add this machine's IP to the key's whitelist on mexc.com (API management).",
        ),
        506: (
            "UnknownSourceError",
            "unknown source of request",
            "The request carried no ApiKey header; this is a client bug, please report it.",
        ),
        510: (
            "RateLimitError",
            "request frequency too high",
            "Back off and retry later; lower the request rate (spec §9).",
        ),
        511: (
            "TradingDisabledError",
            "endpoint inaccessible",
            "This key may not call this endpoint; check the key's permissions and spec §11.",
        ),
        513: (
            "ClockSkewError",
            "Request-Time outside the allowed window",
            "Re-measure the clock offset from /api/v1/contract/ping and retry with a fresh "
            "signature; sync this machine's clock (NTP) if it keeps happening.",
        ),
        600: (
            "BadRequestError",
            "parameter error",
            "Fix the request parameters; do not retry as is.",
        ),
        601: ("BadRequestError", "data decoding error", "The request body is not valid JSON."),
        602: (
            "SignatureError",
            "signature verification failed",
            "Check MEXC_API_SECRET and that the request body is sent byte-for-byte as signed "
            "(and GET parameters sorted and encoded as signed).",
        ),
        603: (
            "DuplicateRequestError",
            "repeated request",
            "Look the earlier request up (by externalOid) before sending anything new.",
        ),
        701: (
            "PermissionError_",
            "account read permission required",
            PERM_HINT.format(perm="Read"),
        ),
        702: (
            "PermissionError_",
            "account modify permission required",
            PERM_HINT.format(perm="Account modify"),
        ),
        703: (
            "PermissionError_",
            "trade-info read permission required",
            PERM_HINT.format(perm="Futures trade read"),
        ),
        704: (
            "PermissionError_",
            "trade modify permission required",
            PERM_HINT.format(perm="Futures order placing"),
        ),
        1000: ("AccountError", "account does not exist", "Open and fund a futures account first."),
        1001: (
            "UnknownSymbolError",
            "contract does not exist",
            "Use a BASE_QUOTE symbol from /api/v1/contract/detail (e.g. BTC_USDT); delisted "
            "contracts disappear from that list.",
        ),
        1002: (
            "TradingDisabledError",
            "contract not activated / not allowed for API orders",
            "This contract or account does not accept API orders (apiAllowed=false, spec §11); "
            "trade another contract or ask MEXC to enable API trading.",
        ),
        1003: ("PositionError", "risk-limit level error", "Choose a valid risk-limit level."),
        1004: ("QuantityError", "amount error", QTY_HINT),
        2001: (
            "OrderRejectedError",
            "wrong order direction",
            "side must be 1, 2, 3 or 4 (spec §10).",
        ),
        2002: (
            "OrderRejectedError",
            "wrong open type",
            "openType must be 1 (isolated) or 2 (cross).",
        ),
        2003: ("PriceError", "price too high to buy", "Lower the buy price into the allowed band."),
        2004: (
            "PriceError",
            "price too low to sell",
            "Raise the sell price into the allowed band.",
        ),
        2005: (
            "InsufficientBalanceError",
            "insufficient balance",
            "Reduce the order size or leverage, or add margin to the futures account.",
        ),
        2006: (
            "LeverageError",
            "leverage error",
            "Use a leverage within [minLeverage, maxLeverage].",
        ),
        2007: (
            "PriceError",
            "order price error",
            "Use a positive price that is a multiple of priceUnit.",
        ),
        2008: ("PositionError", "insufficient quantity", "Close at most the open position size."),
        2009: ("PositionError", "position does not exist or is closed", "Refresh positions first."),
        2011: ("QuantityError", "order quantity error", QTY_HINT),
        2013: (
            "LimitExceededError",
            "cancel count over the limit",
            "Cancel at most 50 ids per call.",
        ),
        2014: ("LimitExceededError", "batch order count over the limit", "Send smaller batches."),
        2015: ("QuantityError", "price or quantity precision error", QTY_HINT),
        2016: (
            "TriggerOrderError",
            "trigger volume over the maximum",
            "Reduce the trigger volume.",
        ),
        2018: (
            "InsufficientBalanceError",
            "exceeds the maximum reducible margin",
            "Withdraw less margin from the position (CN v1 table; fidelity audit row 19).",
        ),
        2019: ("PositionError", "an active open position exists", "Close the position first."),
        2021: (
            "LeverageError",
            "leverage differs from the existing position",
            "Use the existing position's leverage, or change it first.",
        ),
        2022: (
            "PositionError",
            "wrong position type",
            "positionType must be 1 (long) or 2 (short).",
        ),
        2023: (
            "LeverageError",
            "positions over max leverage exist",
            "Reduce leverage on positions.",
        ),
        2024: ("LeverageError", "orders over max leverage exist", "Cancel or amend those orders."),
        2025: ("PositionError", "position over the max allowed", "Reduce the order size."),
        2026: ("LeverageError", "leverage change not supported for cross", "Use isolated margin."),
        2027: (
            "PositionError",
            "only one of cross or isolated allowed per direction",
            "Use the margin mode of the existing position.",
        ),
        2028: ("QuantityError", "max order quantity exceeded", QTY_HINT),
        2029: ("OrderRejectedError", "wrong order type", "type must be 1–6 (spec §10)."),
        2030: (
            "OrderRejectedError",
            "externalOid too long",
            "Use an externalOid of at most 32 chars.",
        ),
        2031: (
            "PositionError",
            "position exceeds current risk limit",
            "Reduce size or raise risk level.",
        ),
        2032: ("PriceError", "order price below long liquidation price", "Raise the price."),
        2033: ("PriceError", "order price above short liquidation price", "Lower the price."),
        2034: (
            "LimitExceededError",
            "batch query count over the limit",
            "Query fewer ids per call.",
        ),
        2035: ("OrderRejectedError", "unsupported market price tier", "Use a limit order."),
        2036: (
            "LimitExceededError",
            "too many orders",
            "Cancel open orders or contact MEXC support.",
        ),
        2037: ("RateLimitError", "trading too frequently", "Slow down order placement."),
        2038: (
            "PositionError",
            "max position quantity exceeded",
            "Reduce size or contact support.",
        ),
        2040: (
            "OrderNotFoundError",
            "order does not exist",
            "Refresh open orders; nothing to cancel.",
        ),
        2041: (
            "OrderNotCancellableError",
            "order state cannot be cancelled",
            "The order is already filled or cancelled; refresh its state.",
        ),
        3001: ("TriggerOrderError", "trigger price type error", "trend must be 1, 2 or 3."),
        3002: ("TriggerOrderError", "trigger type error", "triggerType must be 1 (>=) or 2 (<=)."),
        3003: ("TriggerOrderError", "execute cycle error", "executeCycle must be 1 or 2."),
        3004: ("TriggerOrderError", "trigger price error", "Fix the trigger price."),
        4001: ("UnknownCurrencyError", "unsupported currency", "Use a settle coin such as USDT."),
        5001: ("TriggerOrderError", "TP and SL prices cannot both be empty", "Give at least one."),
        5002: ("OrderNotFoundError", "stop order missing or closed", "Refresh stop orders."),
        5003: ("TriggerOrderError", "TP/SL price setting wrong", "Check TP/SL against the price."),
        5004: ("TriggerOrderError", "TP/SL volume exceeds closable position", "Reduce the volume."),
        6001: (
            "TradingDisabledError",
            "trading forbidden",
            "Trading is disabled for this contract.",
        ),
        6002: (
            "TradingDisabledError",
            "opening forbidden",
            "Only closing is allowed for this contract.",
        ),
        6003: ("BadRequestError", "time range error", "Fix start/end times."),
        6004: (
            "BadRequestError",
            "trading pair and status must be filled in",
            "Add symbol and state.",
        ),
        6005: ("UnknownSymbolError", "trading pair not available", "Use another contract."),
        604: (
            "MaintenanceError",
            "feature under maintenance",
            "This feature is under maintenance at MEXC (spec §11); try later or use another path.",
        ),
        801: (
            "MaintenanceError",
            "system under maintenance",
            "MEXC is under maintenance; try later.",
        ),
        8817: ("FeatureDisabledError", "feature disabled", "The venue has disabled this feature."),
    }
)

#: Envelope code -> what it means (spec §6.1).
MEANINGS: Mapping[int, str] = MappingProxyType(
    {code: meaning for code, (_c, meaning, _h) in CODE_TABLE.items()}
)
#: Envelope code -> what to do, where the code has its own hint (else the class's hint applies).
HINTS: Mapping[int, str] = MappingProxyType(
    {code: hint for code, (_c, _m, hint) in CODE_TABLE.items() if hint}
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


__all__ = [
    "CODE_TABLE",
    "HINTS",
    "MEANINGS",
    "ORDER_ERROR_CODES",
    "PERM_HINT",
    "QTY_HINT",
    "TRANSLATIONS",
]

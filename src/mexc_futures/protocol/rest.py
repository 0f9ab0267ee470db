"""Wire structs for the ``data`` of every REST response of spec §4–§5 (frozen ``msgspec`` structs).

Tolerance rules (spec §2; docs/codec.md):

* unknown extra fields are ignored (the venue adds fields all the time, e.g. v2 contract detail);
* ids (``orderId``, ``positionId``, deal ``id``, ...) arrive as JSON numbers **or** strings and are
  normalised to ``str`` (``WireId``);
* timestamps arrive as numbers or numeric strings and are normalised to ``int`` ms; the empty string
  of the docs' placeholder rows (``"createTime": ""``) becomes ``0`` (``WireTs``);
* numbers may use exponent form (``7.548E+4``); numeric strings are accepted for numbers (the codec
  decodes with ``strict=False``);
* order-path amounts are ``Decimal`` (exact, from the JSON text); market data uses ``float``.

Strict where a change means the venue changed: a missing required field, or an object/array where a
scalar was, fails decoding (``msgspec.ValidationError``), which the codec reports as
``ProtocolDriftError`` naming the endpoint and the field path.

Field names are snake_case in Python and camelCase on the wire (``rename="camel"``).

This module is the import path for every REST struct; they live by domain in ``wirebase`` (bases,
``Page``, ``BareId``), ``rest_market`` (§4), ``rest_account`` (§5.1–§5.2) and ``rest_orders``
(§5.3–§5.9), and are re-exported here unchanged.
"""

from __future__ import annotations

from mexc_futures.protocol.rest_account import (
    AssetData,
    DiscountType,
    FeeDeductConfig,
    FundingRecord,
    LeverageRow,
    PositionData,
    ProfitRate,
    RiskLimitRow,
    TieredFeeRate,
    TieredFeeRateV2,
    TransferRecord,
    ZeroFeeContract,
    ZeroFeeRate,
)
from mexc_futures.protocol.rest_market import (
    BookLevels,
    ContractDetail,
    DealData,
    DealRow,
    DepthCommit,
    DepthData,
    FairPriceData,
    FundingHistoryRow,
    FundingRateData,
    IndexPriceData,
    KlineData,
    Level,
    RiseFallRates,
    RiskLevel,
    RiskLimitTier,
    RiskReverse,
    RiskReverseSnapshot,
    TickerData,
    TickerRow,
)
from mexc_futures.protocol.rest_orders import (
    BatchOrderResult,
    CancelResult,
    CreateResult,
    OpenOrderCount,
    OrderData,
    OrderDealData,
    PlanOrderData,
    StopOrderData,
    StpGroup,
    TrackOrderData,
)
from mexc_futures.protocol.wirebase import (
    AnyData,
    BareId,
    Page,
    Wire,
    WireId,
    WireTs,
)

__all__ = [
    "AnyData",
    "AssetData",
    "BareId",
    "BatchOrderResult",
    "BookLevels",
    "CancelResult",
    "ContractDetail",
    "CreateResult",
    "DealData",
    "DealRow",
    "DepthCommit",
    "DepthData",
    "DiscountType",
    "FairPriceData",
    "FeeDeductConfig",
    "FundingHistoryRow",
    "FundingRateData",
    "FundingRecord",
    "IndexPriceData",
    "KlineData",
    "Level",
    "LeverageRow",
    "OpenOrderCount",
    "OrderData",
    "OrderDealData",
    "Page",
    "PlanOrderData",
    "PositionData",
    "ProfitRate",
    "RiseFallRates",
    "RiskLevel",
    "RiskLimitRow",
    "RiskLimitTier",
    "RiskReverse",
    "RiskReverseSnapshot",
    "StopOrderData",
    "StpGroup",
    "TickerData",
    "TickerRow",
    "TieredFeeRate",
    "TieredFeeRateV2",
    "TrackOrderData",
    "TransferRecord",
    "Wire",
    "WireId",
    "WireTs",
    "ZeroFeeContract",
    "ZeroFeeRate",
]

"""REST ``data`` structs of the account and position endpoints (spec §5.1–§5.2).

Tolerance and strictness follow ``protocol.rest`` (docs/codec.md). Amounts are ``Decimal``.
``AssetData`` and ``PositionData`` are also the payloads of ``push.personal.asset`` and
``push.personal.position`` (§7.8).
"""

from __future__ import annotations

from decimal import Decimal

from mexc_futures.protocol.rest_market import RiskLevel
from mexc_futures.protocol.wirebase import Wire, WireId, WireTs


class AssetData(Wire, frozen=True, kw_only=True):
    """§5.1 asset row (v1 fields; v2 extras optional)."""

    currency: str
    position_margin: Decimal
    available_balance: Decimal
    frozen_balance: Decimal
    cash_balance: Decimal | None = None
    equity: Decimal | None = None
    unrealized: Decimal | None = None
    bonus: Decimal | None = None
    available_cash: Decimal | None = None
    available_open: Decimal | None = None


class TransferRecord(Wire, frozen=True, kw_only=True):
    """§5.1 transfer_record row."""

    _IDS = ("id",)
    id: WireId
    currency: str
    amount: Decimal
    type: str
    state: str
    txid: str = ""
    create_time: int = 0
    update_time: int = 0


class RiskLimitRow(RiskLevel, frozen=True, kw_only=True):
    """§5.1 ``risk_limit`` map value entry."""

    symbol: str
    position_type: int
    max_leverage: int | None = None
    open_type: int | None = None
    leverage: int | None = None
    limit_by_sys: bool | None = None
    current_mmr: Decimal | None = None


class TieredFeeRate(Wire, frozen=True, kw_only=True):
    """§5.1 ``tiered_fee_rate`` (v1)."""

    level: int
    deal_amount: Decimal
    wallet_balance: Decimal
    maker_fee: Decimal
    taker_fee: Decimal
    maker_fee_discount: Decimal | None = None
    taker_fee_discount: Decimal | None = None


class TieredFeeRateV2(Wire, frozen=True, kw_only=True):
    """§5.1 ``tiered_fee_rate/v2`` (fields per docs; all optional, no vector pins them)."""

    original_maker_fee: Decimal | None = None
    original_taker_fee: Decimal | None = None
    real_maker_fee: Decimal | None = None
    real_taker_fee: Decimal | None = None
    deal_amount: Decimal | None = None
    wallet_balance: Decimal | None = None
    fee_rate_mode: str | None = None


class ProfitRate(Wire, frozen=True, kw_only=True):
    """§5.1 ``profit_rate/{type}``."""

    profit_rate: Decimal
    ranking: int | None = None
    statistic_time: int | None = None


class FeeDeductConfig(Wire, frozen=True, kw_only=True):
    """§5.1 ``feeDeductConfigs`` row."""

    deduct_coin: str
    settle_coin: str
    discount_ratio: Decimal


class DiscountType(Wire, frozen=True, kw_only=True):
    """§5.1 ``discountType``."""

    use_fee_discount: bool
    use_fee_deduct: bool


class ZeroFeeContract(Wire, frozen=True, kw_only=True):
    """One entry of ``contract/zero_fee_rate``."""

    contract_id: int
    if_hot_tag: bool | None = None


class ZeroFeeRate(Wire, frozen=True, kw_only=True):
    """§5.1 ``contract/zero_fee_rate``."""

    contracts: list[ZeroFeeContract]


class PositionData(Wire, frozen=True, kw_only=True):
    """§5.2 position row (REST and ``push.personal.position``)."""

    _IDS = ("position_id",)
    _TS = ("create_time", "update_time")
    position_id: WireId
    symbol: str
    position_type: int
    open_type: int
    state: int
    hold_vol: Decimal
    hold_avg_price: Decimal
    open_avg_price: Decimal
    liquidate_price: Decimal
    realised: Decimal
    leverage: int
    frozen_vol: Decimal = Decimal(0)
    close_vol: Decimal = Decimal(0)
    close_avg_price: Decimal | None = None
    oim: Decimal | None = None
    im: Decimal = Decimal(0)
    hold_fee: Decimal | None = None
    adl_level: int | None = None
    auto_add_im: bool | None = None
    margin_ratio: Decimal | None = None
    pnl: Decimal | None = None
    fee: Decimal | None = None
    close_profit_loss: Decimal | None = None
    version: int | None = None
    create_time: WireTs = 0
    update_time: WireTs = 0


class FundingRecord(Wire, frozen=True, kw_only=True):
    """§5.2 ``funding_records`` row."""

    _IDS = ("id",)
    id: WireId
    symbol: str
    position_type: int
    position_value: Decimal
    funding: Decimal
    rate: Decimal
    settle_time: int


class LeverageRow(Wire, frozen=True, kw_only=True):
    """§5.2 ``position/leverage`` row, one per positionType."""

    position_type: int
    level: int
    imr: Decimal
    mmr: Decimal
    leverage: int
    max_vol: Decimal | None = None
    open_type: int | None = None
    limit_by_sys: bool | None = None
    current_mmr: Decimal | None = None
    max_leverage_view: int | None = None


__all__ = [
    "AssetData",
    "DiscountType",
    "FeeDeductConfig",
    "FundingRecord",
    "LeverageRow",
    "PositionData",
    "ProfitRate",
    "RiskLimitRow",
    "TieredFeeRate",
    "TieredFeeRateV2",
    "TransferRecord",
    "ZeroFeeContract",
    "ZeroFeeRate",
]

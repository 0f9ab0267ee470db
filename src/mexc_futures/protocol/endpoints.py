"""The REST endpoint table: every public (spec §4) and private (§5.1–§5.9) endpoint, once.

This is the **only** module where REST paths are written. Each ``Endpoint`` carries its method,
path template (``{name}`` placeholders are path parameters, which take no part in signing, §3.2),
whether it is signed, its rate-limit bucket (§9.1, v2 numbers) and the type of its ``data``
(a struct of ``protocol.rest``, a container of them, ``BareId``, ``AnyData``, or ``None`` for void
calls whose ``data`` is absent or ignored).

Rate buckets: the venue counts per endpoint (§9.1), so every endpoint owns a bucket named after it,
except that the GET and POST forms of ``open_order_total_count`` share one. Whether ``order/create``
and the legacy ``order/submit`` share a counter is [UNCONFIRMED] (§14.10): they are kept separate.
Limits the spec does not give are [UNCONFIRMED] and set to the family's number (documented in
docs/codec.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mexc_futures.protocol import rest as r

Method = Literal["GET", "POST"]


@dataclass(frozen=True, slots=True)
class RateBucket:
    """``capacity`` requests per ``per_seconds`` (spec §9.1)."""

    name: str
    capacity: int
    per_seconds: float


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST endpoint. ``ok_codes``: envelope codes that mean success (spec §2)."""

    name: str
    method: Method
    path: str
    signed: bool
    bucket: RateBucket
    response: Any
    ok_codes: frozenset[int] = field(default=frozenset({0}))

    @property
    def path_params(self) -> tuple[str, ...]:
        """Names of the ``{placeholders}`` of ``path``, in order."""
        return tuple(s[1:-1] for s in self.path.split("/") if s.startswith("{"))


_PUB = "/api/v1/contract/"
_PRV = "/api/v1/private/"
_STP = _PRV + "market_maker/self_trade/blacklist/"


def _ep(
    name: str,
    method: Method,
    path: str,
    response: Any,
    limit: tuple[int, float] = (20, 2.0),
    *,
    bucket: str | None = None,
    ok_codes: frozenset[int] = frozenset({0}),
) -> Endpoint:
    signed = path.startswith(_PRV)
    return Endpoint(
        name=name,
        method=method,
        path=path,
        signed=signed,
        bucket=RateBucket(bucket or name, limit[0], limit[1]),
        response=response,
        ok_codes=ok_codes,
    )


_FAST = (20, 2.0)
_MID = (10, 2.0)
_PLACE = (4, 2.0)
_FIVE = (5, 2.0)

ENDPOINTS: tuple[Endpoint, ...] = (
    # ---- §4 public market data
    _ep("ping", "GET", _PUB + "ping", int),
    _ep("contract_detail", "GET", _PUB + "detail", r.ContractDetail | list[r.ContractDetail], _MID),
    _ep("contract_detail_country", "GET", _PUB + "detail/country", list[r.ContractDetail], _MID),
    _ep("support_currencies", "GET", _PUB + "support_currencies", list[str]),
    _ep("depth", "GET", _PUB + "depth/{symbol}", r.DepthData, _MID),
    _ep("depth_commits", "GET", _PUB + "depth_commits/{symbol}/{limit}", list[r.DepthCommit]),
    _ep("index_price", "GET", _PUB + "index_price/{symbol}", r.IndexPriceData),
    _ep("fair_price", "GET", _PUB + "fair_price/{symbol}", r.FairPriceData),
    _ep("funding_rate", "GET", _PUB + "funding_rate/{symbol}", r.FundingRateData),
    _ep("funding_rates", "GET", _PUB + "funding_rate", list[r.FundingRateData]),
    _ep("kline", "GET", _PUB + "kline/{symbol}", r.KlineData),
    _ep("kline_index_price", "GET", _PUB + "kline/index_price/{symbol}", r.KlineData),
    _ep("kline_fair_price", "GET", _PUB + "kline/fair_price/{symbol}", r.KlineData),
    _ep("deals", "GET", _PUB + "deals/{symbol}", list[r.DealData]),
    _ep("ticker", "GET", _PUB + "ticker", r.TickerData | list[r.TickerData], _MID),
    _ep("risk_reverse", "GET", _PUB + "risk_reverse", list[r.RiskReverse]),
    _ep("risk_reverse_symbol", "GET", _PUB + "risk_reverse/{symbol}", list[r.RiskReverse]),
    _ep(
        "risk_reverse_history",
        "GET",
        _PUB + "risk_reverse/history",
        r.Page[r.RiskReverseSnapshot],
    ),
    _ep("funding_rate_history", "GET", _PUB + "funding_rate/history", r.Page[r.FundingHistoryRow]),
    # ---- §5.1 account
    _ep("account_assets", "GET", _PRV + "account/assets", list[r.AssetData]),
    _ep("account_asset", "GET", _PRV + "account/asset/{currency}", r.AssetData),
    _ep("transfer_record", "GET", _PRV + "account/transfer_record", r.Page[r.TransferRecord]),
    _ep("risk_limit", "GET", _PRV + "account/risk_limit", dict[str, list[r.RiskLimitRow]]),
    _ep("tiered_fee_rate", "GET", _PRV + "account/tiered_fee_rate", r.TieredFeeRate),
    _ep("tiered_fee_rate_v2", "GET", _PRV + "account/tiered_fee_rate/v2", r.TieredFeeRateV2),
    _ep("change_risk_level", "POST", _PRV + "account/change_risk_level", None),
    _ep("profit_rate", "GET", _PRV + "account/profit_rate/{type}", r.ProfitRate),
    _ep("fee_deduct_configs", "GET", _PRV + "account/feeDeductConfigs", list[r.FeeDeductConfig]),
    _ep("discount_type", "GET", _PRV + "account/discountType", r.DiscountType),
    _ep("contract_fee_rate", "GET", _PRV + "account/contract/fee_rate", r.AnyData),
    _ep("zero_fee_rate", "GET", _PRV + "account/contract/zero_fee_rate", r.ZeroFeeRate),
    _ep("asset_analysis", "GET", _PRV + "account/asset/analysis/{type}", r.AnyData),
    _ep("asset_analysis_v3", "POST", _PRV + "account/asset/analysis/v3", r.AnyData),
    _ep(
        "asset_analysis_daily",
        "POST",
        _PRV + "account/asset/analysis/calendar/daily/v3",
        r.AnyData,
    ),
    _ep(
        "asset_analysis_monthly",
        "POST",
        _PRV + "account/asset/analysis/calendar/monthly/v3",
        r.AnyData,
    ),
    _ep("asset_analysis_recent", "POST", _PRV + "account/asset/analysis/recent/v3", r.AnyData),
    _ep("today_pnl", "GET", _PRV + "account/asset/analysis/today_pnl", r.AnyData),
    _ep("yesterday_pnl", "GET", _PRV + "account/asset/analysis/yesterday_pnl", r.AnyData),
    _ep("asset_analysis_export", "GET", _PRV + "account/asset/analysis/export", r.AnyData),
    _ep(
        "contract_fee_discount_config",
        "GET",
        _PRV + "account/config/contractFeeDiscountConfig",
        r.AnyData,
        ok_codes=frozenset({0, 200}),  # spec §2: this endpoint answers code 200 "success"
    ),
    _ep("order_fee_details", "GET", _PRV + "order/fee_details", r.AnyData),
    _ep("order_deal_fee_total", "GET", _PRV + "account/asset_book/order_deal_fee/total", r.AnyData),
    # ---- §5.2 positions
    _ep("open_positions", "GET", _PRV + "position/open_positions", list[r.PositionData]),
    _ep(
        "history_positions",
        "GET",
        _PRV + "position/list/history_positions",
        list[r.PositionData] | r.Page[r.PositionData],
    ),
    _ep("funding_records", "GET", _PRV + "position/funding_records", r.Page[r.FundingRecord]),
    _ep("leverage", "GET", _PRV + "position/leverage", list[r.LeverageRow]),
    _ep("change_leverage", "POST", _PRV + "position/change_leverage", None, (10, 10.0)),
    _ep("position_mode", "GET", _PRV + "position/position_mode", int),
    _ep("change_position_mode", "POST", _PRV + "position/change_position_mode", None),
    _ep("change_margin", "POST", _PRV + "position/change_margin", None),
    _ep("change_auto_add_im", "POST", _PRV + "position/change_auto_add_im", None),
    _ep("reverse_position", "POST", _PRV + "position/reverse", None, _PLACE),
    _ep("close_all_positions", "POST", _PRV + "position/close_all", None, _PLACE),
    # ---- §5.3 placement and amendment
    _ep("order_create", "POST", _PRV + "order/create", r.CreateResult, _PLACE),
    _ep("order_submit", "POST", _PRV + "order/submit", r.BareId),
    _ep(
        "order_submit_batch",
        "POST",
        _PRV + "order/submit_batch",
        list[r.BatchOrderResult],
        _PLACE,
    ),
    _ep("order_chase", "POST", _PRV + "order/chase_limit_order", None, _PLACE),
    _ep("order_change_limit", "POST", _PRV + "order/change_limit_order", r.BareId, _PLACE),
    # ---- §5.4 cancellation
    _ep("order_cancel", "POST", _PRV + "order/cancel", list[r.CancelResult]),
    _ep(
        "order_cancel_external",
        "POST",
        _PRV + "order/cancel_with_external",
        list[r.CancelResult] | None,
    ),
    _ep(
        "order_batch_cancel_external",
        "POST",
        _PRV + "order/batch_cancel_with_external",
        list[r.CancelResult],
    ),
    _ep("order_cancel_all", "POST", _PRV + "order/cancel_all", None),
    # ---- §5.5 queries
    _ep("order_get", "GET", _PRV + "order/get/{order_id}", r.OrderData),
    _ep("order_get_external", "GET", _PRV + "order/external/{symbol}/{external_oid}", r.OrderData),
    _ep("order_batch_query", "GET", _PRV + "order/batch_query", list[r.OrderData], _FIVE),
    _ep(
        "order_batch_query_external",
        "POST",
        _PRV + "order/batch_query_with_external",
        list[r.OrderData],
    ),
    _ep("order_deal_details", "GET", _PRV + "order/deal_details/{order_id}", list[r.OrderDealData]),
    _ep(
        "open_orders",
        "GET",
        _PRV + "order/list/open_orders",
        list[r.OrderData] | r.Page[r.OrderData],
    ),
    _ep(
        "open_orders_symbol",
        "GET",
        _PRV + "order/list/open_orders/{symbol}",
        list[r.OrderData] | r.Page[r.OrderData],
    ),
    _ep(
        "history_orders",
        "GET",
        _PRV + "order/list/history_orders",
        list[r.OrderData] | r.Page[r.OrderData],
    ),
    _ep(
        "close_orders",
        "GET",
        _PRV + "order/list/close_orders",
        list[r.OrderData] | r.Page[r.OrderData],
    ),
    _ep(
        "order_deals",
        "GET",
        _PRV + "order/list/order_deals",
        list[r.OrderDealData] | r.Page[r.OrderDealData],
    ),
    _ep(
        "order_deals_v3",
        "GET",
        _PRV + "order/list/order_deals/v3",
        list[r.OrderDealData] | r.Page[r.OrderDealData],
    ),
    _ep(
        "open_order_total_count",
        "GET",
        _PRV + "order/open_order_total_count",
        r.OpenOrderCount,
    ),
    _ep(
        "open_order_total_count_post",
        "POST",
        _PRV + "order/open_order_total_count",
        r.OpenOrderCount,
        bucket="open_order_total_count",
    ),
    # ---- §5.6 plan (trigger) orders
    _ep("plan_place", "POST", _PRV + "planorder/place", r.BareId, _PLACE),
    _ep("plan_place_v2", "POST", _PRV + "planorder/place/v2", r.BareId, _PLACE),
    _ep("plan_change_price", "POST", _PRV + "planorder/change_price", None, _PLACE),
    _ep("plan_change_stop_order", "POST", _PRV + "planorder/change_stop_order", None, _PLACE),
    _ep("plan_cancel", "POST", _PRV + "planorder/cancel", None),
    _ep("plan_cancel_all", "POST", _PRV + "planorder/cancel_all", None),
    _ep(
        "plan_orders",
        "GET",
        _PRV + "planorder/list/orders",
        list[r.PlanOrderData] | r.Page[r.PlanOrderData],
    ),
    # ---- §5.7 TP/SL (stop) orders
    _ep("stop_place", "POST", _PRV + "stoporder/place", r.BareId, _FIVE),
    _ep("stop_cancel", "POST", _PRV + "stoporder/cancel", None),
    _ep("stop_cancel_all", "POST", _PRV + "stoporder/cancel_all", None),
    # 4 / 2 s: v2 docs "Rate limit: 4 times / 2 seconds"; Mexc.Net SingleLimitGuard(4, 2 s)
    _ep("stop_change_price", "POST", _PRV + "stoporder/change_price", None, _PLACE),
    _ep("stop_change_plan_price", "POST", _PRV + "stoporder/change_plan_price", None, _PLACE),
    _ep(
        "stop_orders",
        "GET",
        _PRV + "stoporder/list/orders",
        list[r.StopOrderData] | r.Page[r.StopOrderData],
    ),
    _ep("stop_open_orders", "GET", _PRV + "stoporder/open_orders", list[r.StopOrderData]),
    _ep("stop_order_details", "GET", _PRV + "stoporder/order_details/{id}", r.StopOrderData),
    # ---- §5.8 trailing orders
    _ep("track_place", "POST", _PRV + "trackorder/place", r.BareId, _PLACE),
    _ep("track_cancel", "POST", _PRV + "trackorder/cancel", None),
    _ep("track_change_order", "POST", _PRV + "trackorder/change_order", None, _PLACE),
    _ep(
        "track_orders",
        "GET",
        _PRV + "trackorder/list/orders",
        list[r.TrackOrderData] | r.Page[r.TrackOrderData],
    ),
    # ---- §5.9 STP groups (market makers)
    _ep("stp_blacklist", "GET", _PRV + "market_maker/self_trade/blacklist", list[r.StpGroup]),
    _ep(
        "stp_blacklist_search",
        "GET",
        _PRV + "market_maker/self_trade/blacklist/search",
        list[r.StpGroup],
    ),
    _ep("stp_blacklist_create", "POST", _STP + "create", r.AnyData),
    _ep("stp_blacklist_update", "POST", _STP + "update", r.AnyData),
    _ep("stp_blacklist_delete", "POST", _STP + "delete", r.AnyData),
)

_BY_NAME: dict[str, Endpoint] = {e.name: e for e in ENDPOINTS}

# (method, segment count) -> [(segments, endpoint)], literal-heavy templates first so that
# ``risk_reverse/history`` wins over ``risk_reverse/{symbol}``.
_ROUTES: dict[tuple[str, int], list[tuple[tuple[str, ...], Endpoint]]] = {}
for _e in ENDPOINTS:
    _segs = tuple(_e.path.strip("/").split("/"))
    _ROUTES.setdefault((_e.method, len(_segs)), []).append((_segs, _e))
for _lst in _ROUTES.values():
    _lst.sort(key=lambda item: sum(s.startswith("{") for s in item[0]))


def endpoint(name: str) -> Endpoint:
    """The endpoint called ``name``; ``KeyError`` naming the unknown name otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown endpoint name {name!r}") from None


def match(method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
    """Resolve a concrete request path (query string allowed) to ``(endpoint, path_params)``.

    Literal segments win over placeholders; a placeholder matches one non-empty segment. Returns
    ``None`` when nothing matches.
    """
    path = path.split("?", 1)[0].split("#", 1)[0]
    segs = tuple(path.strip("/").split("/"))
    for tmpl, ep in _ROUTES.get((method.upper(), len(segs)), ()):
        params: dict[str, str] = {}
        for t, s in zip(tmpl, segs, strict=True):
            if t.startswith("{"):
                if not s:
                    break
                params[t[1:-1]] = s
            elif t != s:
                break
        else:
            return ep, params
    return None


def build_path(ep: Endpoint, **path_params: object) -> str:
    """Fill ``ep.path``'s placeholders; ``ValueError`` on a missing, extra or empty parameter.

    Values are inserted as ``str(value)``; a value containing ``/``, ``?`` or ``#`` is rejected.
    """
    names = ep.path_params
    missing = [n for n in names if n not in path_params]
    extra = [k for k in path_params if k not in names]
    if missing or extra:
        raise ValueError(f"{ep.name}: missing path params {missing}, unexpected {extra}")
    out = ep.path
    for n in names:
        value = str(path_params[n])
        if not value or any(c in value for c in "/?#"):
            raise ValueError(f"{ep.name}: invalid value {value!r} for path param {n!r}")
        out = out.replace("{" + n + "}", value)
    return out


__all__ = ["ENDPOINTS", "Endpoint", "Method", "RateBucket", "build_path", "endpoint", "match"]

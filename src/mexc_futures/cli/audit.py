"""API audit (brief §6.4 "regular audits"): call every read endpoint, check it against the models.

The checking half is pure: ``check_body(endpoint, status, body)`` reads one raw HTTP answer and
returns :class:`Finding` rows:

* ``ok`` — the envelope is a success and ``data`` decodes into the endpoint's typed model
  (``protocol.endpoints.Endpoint.response``, the structs of ``protocol.rest``);
* ``path`` drift — HTTP 404 (or another HTTP error without a MEXC envelope): the path moved;
* ``code`` drift — a business error code other than the ones the audit expects for the call;
* ``shape`` drift — ``data`` no longer fits the model: a required field is missing (a rename), or a
  value changed type (an object where a number was). The row names the field path (``$.lastPrice``);
* ``new field`` (info) — a field the model does not know; a rename shows as a ``shape`` row for the
  old name plus a ``new field`` row for the new one. Info rows fail the audit only with ``strict``.
  Fields MEXC is documented to send that the toolkit deliberately does not model
  (``DOCUMENTED_UNMODELLED``: the spec's captured responses and its §4.1/§5 "v2 adds" lists) are
  not new: reporting them made ``audit --strict`` fail against the toolkit's own emulator
  (ux-audit finding 21) and would on the live API too, although nothing changed.

The calling half (``run_audit``) takes an injected ``fetch`` coroutine, so it is tested against
the emulator over loopback and, for drift, against a proxy that rewrites the emulator's answers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from mexc_futures.protocol.endpoints import Endpoint, endpoint
from mexc_futures.protocol.rest import BareId

DRIFT = "drift"
INFO = "info"
OK = "ok"
SKIP = "skipped"


class Finding(msgspec.Struct, frozen=True):
    """One audit row."""

    endpoint: str
    status: str  # ok | drift | info | skipped
    kind: str  # ok | path | code | shape | new field | transport | skipped | capability
    detail: str = ""


class _Envelope(msgspec.Struct):
    success: bool | None = None
    code: int | None = None
    message: str | None = None
    data: Any = None


def _struct_fields(ti: msgspec.inspect.Type) -> Iterable[msgspec.inspect.StructType]:
    if isinstance(ti, msgspec.inspect.StructType):
        yield ti
    elif isinstance(ti, msgspec.inspect.UnionType):
        for t in ti.types:
            yield from _struct_fields(t)


def unknown_fields(ti: msgspec.inspect.Type, value: Any, path: str = "$") -> list[str]:
    """Paths of keys in ``value`` that the model ``ti`` does not declare (first row of lists)."""
    found: list[str] = []
    if isinstance(ti, msgspec.inspect.UnionType):
        for t in ti.types:
            if _accepts(t, value):
                return unknown_fields(t, value, path)
        return found
    if isinstance(ti, msgspec.inspect.StructType) and isinstance(value, dict):
        if ti.array_like:
            return found
        known = {f.encode_name: f for f in ti.fields}
        for key, sub in value.items():
            field = known.get(key)
            if field is None:
                found.append(f"{path}.{key}")
            else:
                found.extend(unknown_fields(field.type, sub, f"{path}.{key}"))
    elif isinstance(ti, msgspec.inspect.ListType | msgspec.inspect.VarTupleType):
        if isinstance(value, list) and value:
            found.extend(unknown_fields(ti.item_type, value[0], f"{path}[0]"))
    elif isinstance(ti, msgspec.inspect.DictType) and isinstance(value, dict) and value:
        key = next(iter(value))
        found.extend(unknown_fields(ti.value_type, value[key], f"{path}.{key}"))
    return found


def _accepts(ti: msgspec.inspect.Type, value: Any) -> bool:
    if isinstance(ti, msgspec.inspect.StructType):
        if ti.array_like:
            return isinstance(value, list)
        return isinstance(value, dict)
    if isinstance(ti, msgspec.inspect.ListType | msgspec.inspect.VarTupleType):
        return isinstance(value, list)
    if isinstance(ti, msgspec.inspect.DictType):
        return isinstance(value, dict)
    return not isinstance(value, dict | list)


def check_data(ep: Endpoint, data: Any) -> list[Finding]:
    """Check a success ``data`` against the endpoint's model (see module docstring)."""
    if ep.response is None:
        return [Finding(ep.name, OK, OK, "no data expected")]
    model: Any = int | str if ep.response is BareId else ep.response
    out: list[Finding] = []
    try:
        msgspec.convert(data, model, strict=False)
    except msgspec.ValidationError as exc:
        out.append(Finding(ep.name, DRIFT, "shape", str(exc)))
    try:
        ti = msgspec.inspect.type_info(model)
    except (TypeError, ValueError):
        ti = None
    new = [
        p
        for p in (unknown_fields(ti, data) if ti is not None else [])
        if not _documented(ep.name, p)
    ]
    if new:
        names = ", ".join(f"`{p}`" for p in new)
        out.append(Finding(ep.name, INFO, "new field", f"unknown field(s): {names}"))
    return out or [Finding(ep.name, OK, OK, _summary(data))]


# Spec §4.1 (contract detail: captured live response), §5.1 (assets: "v2 adds ..."), §5.2
# (positions: "v2 adds ..."), §5.4 (history orders: captured live response). Names only; the
# audit still reports any other unknown field, and a type change of these as nothing.
DOCUMENTED_UNMODELLED: dict[str, frozenset[str]] = {
    "contract_detail": frozenset(
        {
            "countryConfigContractMaxLeverage",
            "riskLongShortSwitch",
            "conceptPlateId",
            "appraisal",
            "showAppraisalCountdown",
            "automaticDelivery",
            "threshold",
            "openingCountdownOption",
            "showBeforeOpen",
            "isMaxLeverage",
            "isZeroFeeRate",
            "isZeroFeeSymbol",
            "leverageFeeRates",
            "tieredFeeRates",
            "stopOnlyFair",
        }
    ),
    "account_assets": frozenset({"debtAmount", "contributeMarginAmount", "vcoinId"}),
    "account_asset": frozenset({"debtAmount", "contributeMarginAmount", "vcoinId"}),
    "open_positions": frozenset(
        {
            "deductFeeList",
            "holdAvgPriceFullyScale",
            "openAvgPriceFullyScale",
            "profitRatio",
            "totalFee",
            "marginRatio",
            "newOpenAvgPrice",
            "newCloseAvgPrice",
            "closeProfitLoss",
            "zeroSaveTotalFeeBinance",
            "zeroTradeTotalFeeBinance",
        }
    ),
    "history_orders": frozenset(
        {
            "showCancelReason",
            "showProfitRateShare",
            "zeroSaveTotalFeeBinance",
            "zeroTradeTotalFeeBinance",
            "totalFee",
        }
    ),
}


ORDER_ENDPOINTS = ("open_orders", "history_orders", "order", "orders_by", "order_by")


def _documented(endpoint_name: str, path: str) -> bool:
    """Whether ``path`` (``$[0].debtAmount``) is a documented field the models leave out (an
    order row carries the same fields on every endpoint that returns orders)."""
    name = re.split(r"[.\[\]]", path)[-1] or path
    key = "history_orders" if endpoint_name.startswith(ORDER_ENDPOINTS) else endpoint_name
    return name in DOCUMENTED_UNMODELLED.get(key, frozenset())


def _summary(data: Any) -> str:
    if isinstance(data, list):
        return f"{len(data)} rows"
    if isinstance(data, dict):
        return f"{len(data)} fields"
    return type(data).__name__


def check_body(
    ep: Endpoint, status: int, body: bytes, *, expected_codes: frozenset[int] = frozenset()
) -> list[Finding]:
    """Check one raw HTTP answer of ``ep`` (status and body bytes)."""
    try:
        env = msgspec.json.decode(body, type=_Envelope)
    except (msgspec.DecodeError, msgspec.ValidationError):
        kind = "path" if status == 404 else "shape"
        return [Finding(ep.name, DRIFT, kind, f"HTTP {status}, not a MEXC JSON envelope")]
    if status == 404:
        return [Finding(ep.name, DRIFT, "path", f"HTTP 404 for {ep.path}")]
    if env.code is None and env.success is not True:
        return [Finding(ep.name, DRIFT, "shape", "envelope has neither `code` nor success")]
    if env.code is not None and env.code not in ep.ok_codes:
        if env.code in expected_codes:
            return [Finding(ep.name, OK, OK, f"code {env.code} as expected")]
        return [Finding(ep.name, DRIFT, "code", f"code {env.code}: {env.message or ''}".strip())]
    return check_data(ep, env.data)


# ---------------------------------------------------------------- which calls, with what


@dataclass(frozen=True)
class AuditCall:
    """One read call: endpoint name, path parameters, query; ``needs`` names context it needs."""

    name: str
    path: Mapping[str, str]
    query: Mapping[str, str]
    expected_codes: frozenset[int] = frozenset()


def read_calls(symbol: str, currency: str, *, now_s: int) -> list[AuditCall]:
    """The read endpoints the toolkit depends on, with parameters for ``symbol``."""
    sym = {"symbol": symbol}
    span = {"start_time": str((now_s - 86_400) * 1000), "end_time": str(now_s * 1000)}
    return [
        AuditCall("ping", {}, {}),
        AuditCall("contract_detail", {}, sym),
        AuditCall("depth", sym, {"limit": "20"}),
        AuditCall("depth_commits", {"symbol": symbol, "limit": "20"}, {}),
        AuditCall("index_price", sym, {}),
        AuditCall("fair_price", sym, {}),
        AuditCall("funding_rate", sym, {}),
        AuditCall("kline", sym, {"interval": "Min1", "start": str(now_s - 3600)}),
        AuditCall("deals", sym, {"limit": "20"}),
        AuditCall("ticker", {}, sym),
        AuditCall("account_assets", {}, {}),
        AuditCall("account_asset", {"currency": currency}, {}),
        AuditCall("open_positions", {}, {}),
        AuditCall("position_mode", {}, {}),
        AuditCall("leverage", {}, sym),
        AuditCall("open_orders", {}, {"page_num": "1", "page_size": "20"}),
        AuditCall("history_orders", {}, {**sym, "page_num": "1", "page_size": "20"}),
        AuditCall("order_deals", {}, {**sym, **span, "page_num": "1", "page_size": "20"}),
    ]


Fetch = Callable[[Endpoint, Mapping[str, str], Mapping[str, str]], Awaitable[tuple[int, bytes]]]


async def run_audit(fetch: Fetch, calls: Iterable[AuditCall]) -> list[Finding]:
    """Make each call through ``fetch`` and check its answer; transport errors become rows."""
    out: list[Finding] = []
    for call in calls:
        ep = endpoint(call.name)
        try:
            status, body = await fetch(ep, call.path, call.query)
        except Exception as exc:  # a failed call is a finding, not a crash of the audit
            out.append(Finding(call.name, DRIFT, "transport", f"{type(exc).__name__}: {exc}"))
            continue
        out.extend(check_body(ep, status, body, expected_codes=call.expected_codes))
    return out


def failed(findings: Iterable[Finding], *, strict: bool = False) -> list[Finding]:
    """Rows that make the audit fail (drift; also info rows when ``strict``)."""
    bad = {DRIFT, INFO} if strict else {DRIFT}
    return [f for f in findings if f.status in bad]


__all__ = [
    "AuditCall",
    "Fetch",
    "Finding",
    "check_body",
    "check_data",
    "failed",
    "read_calls",
    "run_audit",
    "unknown_fields",
]

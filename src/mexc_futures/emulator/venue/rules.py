"""Venue behaviours where the evidence conflicts (fidelity audit rows 1, 2, 10, 11, 12, 16, 20).

The default of each is the most likely reading (docs/emulator.md "Conflicting evidence"); the
other reading is one switch away so that client tests can run against both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class VenueRules:
    """``VenueConfig.rules``: one field per conflicting row of the fidelity audit."""

    # row 1: ``positionMode`` absent on order/create — v1 "the user's current config" (default)
    # or v2 literal "default dual-side": a one-way account then gets 7002
    position_mode_default: Literal["account", "hedge"] = "account"
    # row 2: ``cancel_all`` without a ``symbol`` key — v1 optional (default) or v2 required (600;
    # ``""`` still means every contract)
    cancel_all_requires_symbol: bool = False
    # row 11: ``chase_limit_order`` — v2 "modify the price" in place, keeping the order id
    # (default), or the spec's former cancel-and-replace with a new id
    chase: Literal["in_place", "replace"] = "in_place"
    # row 11, which best price: the order's own side (default: MEXC's chase-limit FAQ, "a buy
    # tracks the best bid", and v2's "the corresponding one-tick price") or the opposite side
    # (spec §5.3 "the opposing best tick": the order crosses and takes)
    chase_side: Literal["same", "opposite"] = "same"
    # row 12: duplicate ``externalOid`` — envelope 603 (default) or accepted then invalidated
    # with order errorCode 22 (OID_DUPLICATE, v2 enum)
    duplicate_external_oid: Literal["reject", "invalidate"] = "reject"
    # row 20: closing more than the closable volume — envelope 2008 (default) or accepted then
    # cancelled with order errorCode 10 (CN v1)
    close_overflow: Literal["reject", "cancel"] = "reject"
    # row 16: GET values with commas (``order_ids=1,2``) — every signing variant accepted
    # (default), or only the raw-value string (2026 demo SDKs), or only the percent-encoded ones
    # (the docs' Java code)
    get_signing: Literal["any", "raw", "encoded"] = "any"
    # row 10: what a contract's ``positionOpenType`` allows an opening order's ``openType``
    # (1 isolated, 2 cross) — REST detail "1 isolated, 2 cross, 3 both" (default; spec §4.1, the
    # live BTC_USDT value 3 in the 2025-12-31 recording) or the v2 WebSocket ``push.contract``
    # table "1 both, 2 cross, 3 isolated"; a forbidden open gets 2002 "Wrong open type"
    position_open_type: Literal["rest", "ws"] = "rest"


# fidelity row 10: positionOpenType -> the openType values an opening order may use, per reading
OPEN_TYPES_ALLOWED: dict[str, dict[int, frozenset[int]]] = {
    "rest": {1: frozenset({1}), 2: frozenset({2}), 3: frozenset({1, 2})},
    "ws": {1: frozenset({1, 2}), 2: frozenset({2}), 3: frozenset({1})},
}


def open_type_allowed(rules: VenueRules, position_open_type: int, open_type: int) -> bool:
    """Whether an opening order with ``openType`` ``open_type`` may trade on a contract whose
    ``positionOpenType`` is ``position_open_type`` under ``rules``' reading of row 10 (a value
    neither reading defines allows both)."""
    allowed = OPEN_TYPES_ALLOWED[rules.position_open_type].get(position_open_type)
    return allowed is None or open_type in allowed


EC_CLOSE_OVERFLOW = 10
EC_OID_DUPLICATE = 22

__all__ = [
    "EC_CLOSE_OVERFLOW",
    "EC_OID_DUPLICATE",
    "OPEN_TYPES_ALLOWED",
    "VenueRules",
    "open_type_allowed",
]

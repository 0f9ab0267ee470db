"""Kill switch: triggers, latching, persistence form (reliability I8, S20)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mexc_futures.model.killswitch import (
    KILL_TRANSITIONS,
    KillEvent,
    KillState,
    KillSwitch,
    KillSwitchConfig,
)


def test_404s_trip_at_k_within_window() -> None:
    ks = KillSwitch(KillSwitchConfig(not_found_limit=3, not_found_window=10))
    assert not ks.record_not_found(0, "order_create")
    assert not ks.record_not_found(1, "order_create")
    assert not ks.record_not_found(12, "order_get")  # first two fell out of the window
    assert not ks.record_not_found(13, "order_get")
    assert ks.record_not_found(14, "order_cancel")
    assert ks.state is KillState.TRIPPED
    assert ks.reason == "order_endpoint_404"


def test_trip_is_latched_and_reported_once() -> None:
    ks = KillSwitch()
    assert ks.trip("operator", "manual", wall_ms=5)
    assert not ks.trip("loss_limit")
    assert ks.reason == "operator"
    assert ks.tripped_at_ms == 5
    ks.mark_contained(True)
    assert ks.state is KillState.CONTAINED
    assert ks.tripped
    ks.mark_contained(False)
    assert ks.state is KillState.TRIPPED
    ks.reset()
    assert ks.state is KillState.ARMED
    assert not ks.tripped
    assert ks.reason == ""


@pytest.mark.parametrize(
    ("code", "method", "n"),
    [(1002, "POST", 2), (604, "POST", 2), (602, "POST", 2)],
)
def test_codes(code: int, method: str, n: int) -> None:
    ks = KillSwitch()
    results = [ks.record_code(float(i), code, method) for i in range(n)]
    assert results[-1]
    assert not any(results[:-1])


def test_signature_error_on_get_and_permission_codes_do_not_trip() -> None:
    ks = KillSwitch()
    assert not any(ks.record_code(float(i), 602, "GET") for i in range(5))
    assert not any(ks.record_code(float(i), 701, "POST") for i in range(5))


def test_error_rate_needs_minimum_sample() -> None:
    ks = KillSwitch(KillSwitchConfig(error_rate=0.5, error_rate_min=10, error_window=60))
    assert not any(ks.record_outcome(float(i), False) for i in range(9))
    assert ks.record_outcome(9.0, False)


def test_loss_limit() -> None:
    ks = KillSwitch(KillSwitchConfig(max_loss=Decimal(100)))
    assert not ks.record_pnl(Decimal(-99))
    assert ks.record_pnl(Decimal(-100))


def test_snapshot_restore_round_trip() -> None:
    ks = KillSwitch()
    ks.trip("operator", "x", wall_ms=7)
    ks.alerted = True
    other = KillSwitch()
    other.restore(ks.snapshot())
    assert other.state is KillState.TRIPPED
    assert other.alerted
    assert other.tripped_at_ms == 7


def test_only_reset_leaves_tripped() -> None:
    leaving = {
        (s, e)
        for (s, e), n in KILL_TRANSITIONS.items()
        if s is not KillState.ARMED and n is KillState.ARMED
    }
    assert {e for _, e in leaving} == {KillEvent.RESET}

"""Session machine: pacing, keep-alive, stall, login/filter, staleness, rotation (ManualClock)."""

from __future__ import annotations

import pytest

from mexc_futures.protocol.session import (
    TRANSITIONS,
    CloseConn,
    Filter,
    LoggedIn,
    Login,
    LoginFailed,
    Ping,
    RotateDue,
    Send,
    Session,
    SessionConfig,
    State,
    StreamStale,
    Sub,
)
from mexc_futures.testing.clock import ManualClock


def _sub(i: int) -> Sub:
    return Sub("depth", (("symbol", f"S{i}"),), key=i)


def _sent(outs: list[object]) -> list[object]:
    return [o.frame for o in outs if isinstance(o, Send)]


def test_table_covers_every_live_state() -> None:
    assert {s for s, _ in TRANSITIONS} == set(State) - {State.CLOSED}


def test_nothing_is_sent_before_open() -> None:
    s = Session()
    s.send(_sub(1))
    assert s.poll(0.0) == []
    assert s.next_deadline() == float("inf")
    assert _sent(s.on_open(0.0)) == [_sub(1)]


def test_pacing_never_exceeds_the_window_even_in_a_storm() -> None:
    clock = ManualClock()
    s = Session(SessionConfig(max_per_second=40))
    for i in range(130):
        s.send(_sub(i))
    times: list[float] = []
    for _f in _sent(s.on_open(clock.monotonic())):
        times.append(clock.monotonic())
    while len(times) < 130:
        clock.advance(max(0.0, s.next_deadline() - clock.monotonic()))
        times += [clock.monotonic()] * len(_sent(s.poll(clock.monotonic())))
    for i, t in enumerate(times):  # any 1 s window holds at most 40 frames
        assert sum(1 for u in times[i:] if u - t < 1.0) <= 40
    assert clock.monotonic() == pytest.approx(3.0)


def test_ping_every_interval_and_pong_clears_deadline() -> None:
    s = Session(SessionConfig(ping_interval=15, pong_timeout=5))
    s.on_open(0.0)
    assert s.next_deadline() == 15.0
    assert _sent(s.poll(15.0)) == [Ping()]
    assert s.next_deadline() == 20.0  # pong deadline
    s.on_pong(15.2)
    assert s.last_pong_rtt == pytest.approx(0.2)
    assert s.next_deadline() == 30.0
    assert _sent(s.poll(30.0)) == [Ping()]


def test_silent_stall_detected_within_interval_plus_deadline() -> None:
    s = Session(SessionConfig(ping_interval=10, pong_timeout=5))
    s.on_open(0.0)
    s.poll(10.0)
    assert s.poll(14.9) == []
    assert s.poll(15.0) == [CloseConn("stall")]
    assert s.state is State.CLOSED
    assert s.poll(99.0) == []


def test_ping_goes_ahead_of_a_queued_storm() -> None:
    s = Session(SessionConfig(ping_interval=10, max_per_second=2))
    s.on_open(0.0)
    for i in range(10):
        s.send(_sub(i))
    assert len(_sent(s.poll(9.5))) == 2
    assert _sent(s.poll(10.0)) == []  # window full: the ping is queued first
    assert _sent(s.poll(10.5))[0] == Ping()


def test_login_then_filter_then_held_subscriptions() -> None:
    filters = (("order", ("BTC_USDT",)), ("asset", ()))
    s = Session(login=True, filters=filters)
    s.send(_sub(1))
    assert _sent(s.on_open(0.0)) == [Login()]
    s.send(_sub(2))
    assert _sent(s.on_login_ok(0.1)) == [Filter(filters)]
    outs = s.on_filter_ok(0.2)
    assert outs[0] == LoggedIn()
    assert _sent(outs) == [_sub(1), _sub(2)]
    assert s.state is State.LIVE
    assert s.on_error(0.3, "Contract [X] not exists") == []
    assert s.state is State.LIVE


def test_login_rejected_is_a_clear_failure() -> None:
    s = Session(login=True)
    s.on_open(0.0)
    assert s.on_error(0.1, "signature error") == [LoginFailed("signature error"),
                                                  CloseConn("login")]


def test_login_without_answer_times_out() -> None:
    s = Session(SessionConfig(login_timeout=3), login=True)
    s.on_open(0.0)
    assert s.next_deadline() == 3.0
    assert s.poll(3.0) == [LoginFailed("no answer to login"), CloseConn("login")]


def test_login_without_filter_goes_live() -> None:
    s = Session(login=True)
    s.on_open(0.0)
    assert s.on_login_ok(0.1)[0] == LoggedIn()


def test_stale_stream_reported_and_rearmed() -> None:
    s = Session()
    s.on_open(0.0)
    s.watch("a", 3.0, 0.0)
    s.watch("b", 3.0, 0.0)
    s.touch("b", 2.0)
    s.touch("zzz", 2.0)
    assert s.next_deadline() == 3.0
    assert s.poll(3.0) == [StreamStale("a", 3.0)]
    assert s.poll(5.0) == [StreamStale("b", 3.0)]
    s.unwatch("a")
    s.unwatch("b")
    assert s.next_deadline() == 15.0


def test_rotation_due_once_before_lifetime() -> None:
    s = Session(SessionConfig(max_lifetime=100, rotate_margin=10))
    s.on_open(0.0)
    s.on_pong(0.0)
    assert RotateDue() not in s.poll(89.0)
    s.on_pong(89.0)
    assert RotateDue() in s.poll(90.0)
    s.on_pong(90.0)
    assert RotateDue() not in s.poll(91.0)


def test_closed_session_drops_frames() -> None:
    s = Session()
    s.on_open(0.0)
    s.on_closed(1.0)
    s.send(_sub(1))
    assert s.poll(2.0) == []
    assert s.state is State.CLOSED


def test_config_bounds() -> None:
    with pytest.raises(ValueError):
        SessionConfig(ping_interval=25)
    with pytest.raises(ValueError):
        SessionConfig(max_per_second=100)

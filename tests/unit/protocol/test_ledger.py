"""Ledger: <= 30 per connection, no empty connection, re-placement, rotation."""

from __future__ import annotations

import pytest

from mexc_futures.protocol.ledger import Close, Ledger, Open, Stream, Subscribe, Unsubscribe


def _streams(n: int) -> list[Stream]:
    return [Stream.of("depth", f"S{i}_USDT") for i in range(n)]


def test_stream_identity_and_param() -> None:
    a = Stream.of("depth", "BTC_USDT", limit=5, compress=False)
    b = Stream.of("depth", "BTC_USDT", compress=False, limit=5)
    assert a == b
    assert hash(a) == hash(b)
    assert a.param() == {"compress": False, "limit": 5, "symbol": "BTC_USDT"}
    assert Stream.of("tickers").param() == {}


def test_31_streams_use_two_connections_never_more_than_30() -> None:
    led = Ledger()
    actions = [a for s in _streams(31) for a in led.add(s)]
    assert [a for a in actions if isinstance(a, Open)] == [Open(1), Open(2)]
    assert sum(isinstance(a, Subscribe) for a in actions) == 31
    assert {c: len(s) for c, s in led.connections.items()} == {1: 30, 2: 1}
    assert actions.index(Open(2)) < actions.index(Subscribe(2, _streams(31)[30]))
    assert led.add(_streams(1)[0]) == []
    assert len(led) == 31


def test_removing_the_last_stream_closes_the_connection() -> None:
    led = Ledger(max_per_conn=2)
    a, b, c = _streams(3)
    for s in (a, b, c):
        led.add(s)
    assert led.remove(c) == [Close(2)]
    assert led.remove(a) == [Unsubscribe(1, a)]
    assert led.remove(a) == []
    assert led.remove(b) == [Close(1)]
    assert led.connections == {}
    assert led.add(a) == [Open(3), Subscribe(3, a)]  # never reuses a closed id


def test_freed_room_is_reused_before_opening() -> None:
    led = Ledger(max_per_conn=2)
    a, b, c, d = _streams(4)
    for s in (a, b, c):
        led.add(s)
    led.remove(a)
    assert led.add(d) == [Subscribe(1, d)]


def test_replace_after_reconnect_resubscribes_everything() -> None:
    led = Ledger(max_per_conn=3)
    ss = _streams(4)
    for s in ss:
        led.add(s)
    assert led.replace(1) == [Subscribe(1, s) for s in ss[:3]]
    assert led.replace(99) == []


def test_rotation_make_before_break() -> None:
    led = Ledger()
    ss = _streams(3)
    for s in ss:
        led.add(s)
    twin, actions = led.rotate(1)
    assert actions == [Open(twin), *(Subscribe(twin, s) for s in ss)]
    assert all(led.conn_of(s) == twin for s in ss)
    assert led.streams_on(1) == ()
    assert led.retire(1) == [Close(1)]
    assert led.retire(1) == []
    with pytest.raises(KeyError):
        led.rotate(1)


def test_drop_connection_forgets_streams() -> None:
    led = Ledger()
    ss = _streams(2)
    for s in ss:
        led.add(s)
    assert led.drop_connection(1) == ss
    assert len(led) == 0
    with pytest.raises(ValueError):
        Ledger(0)

"""Metrics: per connection / per stream counters, totals and Prometheus text."""

from __future__ import annotations

from mexc_futures.transport.metrics import KEEP_RETIRED, RETIRED, Metrics


def test_counters_totals_and_prometheus_text() -> None:
    m = Metrics()
    c = m.conn(1)
    c.messages += 3
    c.bytes += 300
    m.conn(2).reconnects += 1
    s = m.stream("depth", 'BTC_"USDT')
    s.gaps += 2
    assert m.conn(1) is c
    assert m.stream("depth", 'BTC_"USDT') is s
    t = m.totals()
    assert t["conn_messages"] == 3
    assert t["conn_reconnects"] == 1
    assert t["stream_gaps"] == 2
    assert m.gaps == 2
    assert m.resyncs == 0
    text = m.prometheus()
    assert "# TYPE mexc_md_conn_messages counter\n" in text
    assert 'mexc_md_conn_messages{conn="1"} 3.0\n' in text
    assert 'mexc_md_stream_gaps{channel="depth",symbol="BTC_\\"USDT"} 2.0\n' in text
    assert "# TYPE mexc_md_conn_last_pong_rtt gauge\n" in text


def test_retired_connections_are_folded_not_kept_forever() -> None:
    """#13 soak: every rotation adds a connection id; a session that rotates for days keeps the
    newest ``KEEP_RETIRED`` gone connections listed and folds older ones, totals unchanged."""
    m = Metrics()
    for cid in range(1, 1001):
        c = m.conn(cid)
        c.messages, c.reconnects, c.last_pong_rtt = 10, 1, 0.5
        m.retire(cid)
    m.conn(1001).messages = 7  # a live one
    assert len(m.connections) == KEEP_RETIRED + 2  # newest retired, the fold, the live one
    assert m.connections[RETIRED].messages == (1000 - KEEP_RETIRED) * 10
    assert m.totals()["conn_messages"] == 1000 * 10 + 7
    assert m.totals()["conn_reconnects"] == 1000
    assert 'conn="retired"' in m.prometheus()
    assert {1, 1000, 1001} & m.connections.keys() == {1000, 1001}

"""Metrics: per connection / per stream counters, totals and Prometheus text."""

from __future__ import annotations

from mexc_futures.transport.metrics import Metrics


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

"""The bus foundation, pure parts (issue #18): URL resolution, key names, retention, records."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexc_futures.bus import names, records
from mexc_futures.bus.retention import MARKET_DATA, Retention
from mexc_futures.bus.url import BusURL, bus_from_config, parse_bus_url, resolve_bus_url
from mexc_futures.errors import ConfigError


def test_url_forms() -> None:
    u = parse_bus_url("redis://127.0.0.1:6380/2")
    assert (u.host, u.port, u.db, u.tls) == ("127.0.0.1", 6380, 2, False)
    assert parse_bus_url("redis://bus").port == 6379
    assert parse_bus_url("rediss://bus.internal/1").tls
    assert parse_bus_url("redis://trader@h:1/0").username == "trader"
    assert str(parse_bus_url("redis://h")) == "redis://h:6379/0"


@pytest.mark.parametrize("bad", ["http://h:1/0", "redis://", "redis://h:1/x", "redis://h:99999/0",
                                 "redis://h:1/0?timeout=3", "127.0.0.1:6379"])
def test_url_refused_with_the_expected_form(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"redis://|database|options|valid"):
        parse_bus_url(bad)


def test_password_never_from_argv_or_file_and_never_shown() -> None:
    with pytest.raises(ConfigError, match="MEXC_BUS_PASSWORD"):
        parse_bus_url("redis://:hunter2@h:1/0", source="--bus")
    env_url = resolve_bus_url(None, {"MEXC_BUS_URL": "redis://u:hunter2@h:1/0"})
    assert env_url is not None
    assert env_url.password == "hunter2"  # pragma: allowlist secret
    assert "hunter2" not in repr(env_url)
    assert "hunter2" not in str(env_url)
    u = resolve_bus_url("redis://h:1/0", {"MEXC_BUS_PASSWORD": "pw"})
    assert u is not None
    assert u.password == "pw"  # pragma: allowlist secret


def test_resolution_order(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[bus]\nurl = "redis://fromfile:3/0"\n')
    file_url = bus_from_config(cfg)
    env = {"MEXC_BUS_URL": "redis://fromenv:2/0"}
    pick = resolve_bus_url
    assert pick("redis://fromcli:1/0", env, file_url, cfg) == BusURL("fromcli", 1, source="--bus")
    got = pick(None, env, file_url, cfg)
    assert got is not None
    assert got.host == "fromenv"
    got = pick(None, {}, file_url, cfg)
    assert got is not None
    assert got.host == "fromfile"
    assert pick(None, {}, None) is None  # the default: no bus
    (tmp_path / "n.toml").write_text("[run]\nstrategy='x'\n")
    assert bus_from_config(tmp_path / "n.toml") is None
    (tmp_path / "b.toml").write_text("[bus]\nurl='redis://h'\nextra=1\n")
    with pytest.raises(ConfigError, match=r"\[bus\] takes one key"):
        bus_from_config(tmp_path / "b.toml")


def test_stream_names() -> None:
    assert names.md_stream("depth", "BTC_USDT") == "mx:md:depth:BTC_USDT"
    assert names.md_stream("funding.rate", "ETH_USDT") == "mx:md:funding.rate:ETH_USDT"
    assert names.parse_md_stream(b"mx:md:deal:BTC_USDT") == ("deal", "BTC_USDT")
    assert names.intents("main") == "mx:ord:main:intents"
    assert names.events("main", "mm") == "mx:ord:main:events:mm"
    assert names.control("main") == "mx:ctl:main"
    assert names.lease("main") == "mx:lease:main"
    assert names.kill("main") == "mx:kill:main"
    assert names.snapshot_reply("BTC_USDT", "r1") == "mx:snap:BTC_USDT:r1"
    for bad in ("a:b", "*", "x y", ""):
        with pytest.raises(ConfigError):
            names.md_stream("depth", bad)
    with pytest.raises(ValueError, match="not a market-data"):
        names.parse_md_stream("mx:ord:main:intents")


def test_retention_is_never_unbounded() -> None:
    with pytest.raises(ValueError, match="never unbounded"):
        Retention()
    assert MARKET_DATA.xadd_kwargs(200_000) == {"minid": "80000-0", "approximate": True}
    assert Retention(maxlen=5).xadd_kwargs(1) == {"maxlen": 5, "approximate": True}
    both = Retention(max_age_ms=1000, maxlen=10)
    assert "minid" in both.xadd_kwargs(5000)
    assert both.trim_kwargs() == {"maxlen": 10, "approximate": True}


def test_records_round_trip() -> None:
    frame = b'{"channel":"push.depth","data":{"asks":[],"bids":[],"version":7},"symbol":"X"}'
    fields = records.encode_md(1_700_000_000_123_456_789, 3, 42, frame)
    rec = records.decode_md(fields)
    assert (rec.recv_ns, rec.conn, rec.seq, rec.frame) == (1_700_000_000_123_456_789, 3, 42, frame)
    with pytest.raises(ValueError, match="not a market-data bus entry"):
        records.decode_md({b"r": b"1", b"d": b"x"})
    ev = records.CtlEvent(kind="deal_gap", ts_ns=5, gateway="gw", symbol="BTC_USDT", conn=2)
    assert records.decode_ctl(records.encode_msg(ev)) == ev
    req = records.SnapRequest(symbol="BTC_USDT", req="a1", limit=100)
    assert records.decode_request(records.encode_msg(req)) == req

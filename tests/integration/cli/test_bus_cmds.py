"""``mexc-futures gateway`` and ``bus status`` from the command line (issue #18)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.cli.cli_support import ThreadedEmulator, env_for, invoke


def test_gateway_publishes_and_bus_status_shows_it(redis_url: str, tmp_path: Path) -> None:
    with ThreadedEmulator(symbols=["BTC_USDT", "ETH_USDT"], speed=5) as ex:
        env = env_for(ex, tmp_path)
        res = invoke(["gateway", "--bus", redis_url, "--symbols", "BTC_USDT,ETH_USDT",
                      "--channels", "depth,deal", "--duration", "3", "--quiet"], env)
        assert res.exit_code == 0, res.output
        assert "gateway gateway: 2 symbols x 2 channels" in res.output
        assert "frames received" in res.output
        res = invoke(["bus", "status", "--json"], {**env, "MEXC_BUS_URL": redis_url})
        assert res.exit_code == 0, res.output
        data = json.loads(res.output)
        md = data["market_data"]
        assert md["depth"]["streams"] == 2
        assert md["depth"]["entries"] > 0
        assert data["streams"]["mx:md:ctl"]["length"] >= 1
        assert data["redis"]["used_memory"] > 0
        text = invoke(["bus", "status", "--bus", redis_url], env)
        assert text.exit_code == 0, text.output
        assert "market data (kept 120 s):" in text.output
        assert "depth" in text.output


def test_gateway_needs_a_bus_and_refuses_a_password_in_the_url(tmp_path: Path) -> None:
    env = {"MEXC_FUTURES_HOME": str(tmp_path), "MEXC_BUS_URL": ""}
    res = invoke(["gateway", "--symbols", "BTC_USDT"], env)
    assert res.exit_code == 1
    assert "no bus given: pass --bus redis://HOST:PORT/DB" in res.output
    res = invoke(["gateway", "--symbols", "BTC_USDT", "--bus",
                  "redis://:secretpw@127.0.0.1:6379/0"], env)  # pragma: allowlist secret
    assert res.exit_code == 1
    assert "MEXC_BUS_PASSWORD" in res.output
    assert "secretpw" not in res.output
    res = invoke(["gateway", "--symbols", "BTC_USDT", "--channels", "kline",
                  "--bus", "redis://127.0.0.1:1/0"], env)
    assert res.exit_code == 1
    assert "choose from depth, deal" in res.output

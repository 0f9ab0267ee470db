"""``mexc-futures gateway`` and ``bus status`` from the command line (issue #18)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.cli.cli_support import ThreadedEmulator, env_for, invoke


def test_gateway_publishes_and_bus_status_shows_it(redis_url: str, tmp_path: Path) -> None:
    with ThreadedEmulator(symbols=["BTC_USDT", "ETH_USDT"], speed=5) as ex:
        env = env_for(ex, tmp_path)
        res = invoke(["gateway", "--bus", redis_url, "--symbols", "all",  # = every contract
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


def test_run_with_bus_takes_market_data_from_the_gateway(redis_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    with ThreadedEmulator(symbols=["BTC_USDT"], speed=5) as ex:
        env = env_for(ex, tmp_path)
        gw = subprocess.Popen(
            [sys.executable, "-m", "mexc_futures.cli", "gateway", "--bus", redis_url,
             "--symbols", "BTC_USDT", "--channels", "depth,deal,ticker", "--quiet"],
            env={**env, "PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        try:
            res = invoke(["run", "market_maker", "--bus", redis_url, "--duration", "6",
                          "--plain"], env)
        finally:
            gw.terminate()
            out, _ = gw.communicate(timeout=20)
        assert res.exit_code == 0, res.output
        bus_line = next(x for x in res.output.splitlines() if x.strip().startswith("Bus:"))
        assert f"{redis_url} up; gateway→strategy p50" in bus_line
        assert "0 sequence gaps, 0 outages" in bus_line
        assert "Reconciliation: MATCH" in res.output
        assert b"frames received" in out  # the gateway's own summary at SIGTERM


def test_run_with_bus_needs_the_gateways_venue(tmp_path: Path) -> None:
    env = {"MEXC_FUTURES_HOME": str(tmp_path), "MEXC_EMULATOR_URL": ""}
    res = invoke(["run", "market_maker", "--bus", "redis://127.0.0.1:1/0", "--duration", "1"],
                 env)
    assert res.exit_code == 1
    assert "give --emulator-url URL (the emulator the gateway reads) or --live" in res.output

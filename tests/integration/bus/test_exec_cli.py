"""The whole bus from the command line (issue #18): an emulator, ``mexc-futures gateway`` and
``mexc-futures exec-service`` processes, and ``run --bus --account`` without API keys: the
strategy trades through the exec service and its summary shows the bus latency apart from the
in-process tick-to-order (B10); ``kill --bus`` stops the account through the exec service (B6)."""

from __future__ import annotations

import os
import subprocess  # nosec B404  # the CLI under test, fixed argv
import sys
import time
from pathlib import Path

import pytest

from mexc_futures.bus.ordkeys import lease_key
from tests.conftest import ROOT
from tests.integration.cli.cli_support import NO_KEYRING, ThreadedEmulator, env_for, invoke

pytestmark = pytest.mark.timeout(150)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(  # nosec B603  # fixed argv, no shell
        [sys.executable, "-m", "mexc_futures.cli", *args],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_lease(url: str, account: str) -> None:
    import redis

    r = redis.Redis.from_url(url)
    try:
        for _ in range(600):
            if r.exists(lease_key(account)):
                return
            time.sleep(0.05)
    finally:
        r.close()
    raise AssertionError("the exec service never took its lease")


def test_run_on_the_bus_trades_through_the_exec_service_without_keys(
    redis_url: str, tmp_path: Path
) -> None:
    with ThreadedEmulator(symbols=["BTC_USDT"], speed=5) as ex:
        env = env_for(ex, tmp_path / "svc")
        gw = _spawn(
            [
                "gateway",
                "--bus",
                redis_url,
                "--symbols",
                "BTC_USDT",
                "--channels",
                "depth,deal,ticker",
                "--quiet",
            ],
            env,
        )
        svc = _spawn(["exec-service", "--bus", redis_url, "--account", "main"], env)
        try:
            _wait_lease(redis_url, "main")
            keyless = {
                "MEXC_EMULATOR_URL": ex.rest_url,
                "MEXC_FUTURES_HOME": str(tmp_path / "strategy"),
                "PYTHON_KEYRING_BACKEND": NO_KEYRING,
                "MEXC_API_KEY": "",
                "MEXC_API_SECRET": "",
            }
            res = invoke(
                [
                    "run",
                    "market_maker",
                    "--bus",
                    redis_url,
                    "--account",
                    "main",
                    "--duration",
                    "6",
                    "--plain",
                ],
                keyless,
            )
            assert res.exit_code == 0, res.output
            lines = res.output.splitlines()
            bus = next(x for x in lines if x.strip().startswith("Bus latency:"))
            assert "tick→intent p50" in bus
            assert "intent RTT p50" in bus
            tick = next(x for x in lines if x.strip().startswith("Tick→order p50:"))
            assert "(bus)" not in tick  # the in-process figure stands apart
            kill = invoke(["kill", "--bus", redis_url, "--account", "main"], keyless)
            assert kill.exit_code == 0, kill.output
            assert "TRIPPED by the exec service of account 'main'" in kill.output
            assert "(0 open)" in kill.output
        finally:
            for p in (gw, svc):
                p.terminate()
            svc_out, _ = svc.communicate(timeout=30)
            gw.communicate(timeout=30)
        text = svc_out.decode()
        assert "lease acquired" in text, text
        assert "intent(s) carried out" in text, text
        assert ex.truth.external_oid_counts(), "no order reached the venue"
        assert all(n == 1 for n in ex.truth.external_oid_counts().values())

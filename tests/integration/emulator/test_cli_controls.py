"""``mexc-futures emulator <control>`` against a running emulator (issue #14)."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner

from mexc_futures.cli.main import cli
from mexc_futures.emulator.server import Emulator

pytestmark = pytest.mark.asyncio
SYM = "BTC_USDT"


async def test_cli_shock_pause_balance_reset() -> None:
    async with Emulator(symbols=[SYM], balance=5_000) as ex:
        env = {"MEXC_EMULATOR_URL": ex.rest_url, "MEXC_EMULATOR_TOKEN": ex.control_token}
        runner = CliRunner()

        async def run(*args: str) -> str:
            result = await asyncio.to_thread(runner.invoke, cli, ["emulator", *args], env=env)
            assert result.exit_code == 0, result.output
            return result.output

        market = ex.venue.engine.markets[SYM]
        before = market.mid
        assert "shock applied" in await run("shock", SYM, "--move", "-5", "--pull", "50")
        assert market.mid == pytest.approx(before * 0.95, rel=2e-3)
        assert "paused 1" in await run("pause")
        assert market.rate == 0
        await run("resume")
        assert market.rate > 0
        assert "2,500.00 USDT" in await run("balance", "2500")
        assert ex.truth.balance(ex.credentials.api_key, "USDT") == "2500.00000000"
        await run("reset")
        assert ex.truth.balance(ex.credentials.api_key, "USDT") == "5000.00000000"
        bad = await asyncio.to_thread(
            runner.invoke, cli, ["emulator", "pause"],
            env={**env, "MEXC_EMULATOR_TOKEN": "wrong"},
        )
        assert bad.exit_code != 0
        assert "control token" in bad.output

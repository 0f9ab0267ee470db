"""book / ticker / klines / watch against the in-process emulator, including bad input."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.cli.cli_support import invoke, local_home


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    with local_home(tmp_path) as e:
        return e


def test_book_table_and_json(env: dict[str, str]) -> None:
    res = invoke(["book", "BTC_USDT", "--limit", "3"], env)
    assert res.exit_code == 0, res.output
    assert "BTC_USDT book v" in res.output
    assert res.output.count("│ ask") == 3
    assert res.output.count("│ bid") == 3
    data = json.loads(invoke(["book", "btc_usdt", "--limit", "2", "--json"], env).output)
    assert data["symbol"] == "BTC_USDT"
    assert len(data["bids"]) == 2
    assert Decimal(data["bids"][0]["price"]) < Decimal(data["asks"][0]["price"])
    assert isinstance(data["bids"][0]["vol"], str)  # decimal strings (cli.schema)


def test_unknown_symbol_says_what_to_do(env: dict[str, str]) -> None:
    for args in (["book", "NOPE_USDT"], ["ticker", "NOPE_USDT"], ["klines", "NOPE_USDT"]):
        res = invoke(args, env)
        assert res.exit_code == 1, args
        assert "Unknown symbol" in res.output
        assert "mexc-futures ticker" in res.output


def test_ticker_one_and_all(env: dict[str, str]) -> None:
    res = invoke(["ticker", "BTC_USDT"], env)
    assert res.exit_code == 0, res.output
    assert "BTC_USDT" in res.output
    rows = json.loads(invoke(["ticker", "--json"], env).output)
    assert len(rows) > 1
    assert {"symbol", "last_price", "funding_rate", "mark_price"} <= set(rows[0])
    assert all("e-" not in (r["last_price"] or "") for r in rows)  # never scientific


def test_klines_bars_and_long_range(env: dict[str, str]) -> None:
    res = invoke(["klines", "BTC_USDT", "--interval", "Min5", "--bars", "10", "--json"], env)
    assert res.exit_code == 0, res.output
    bars = json.loads(res.output)
    assert bars
    assert all(Decimal(b["low"]) <= Decimal(b["close"]) <= Decimal(b["high"]) for b in bars)
    assert all(isinstance(b["time_s"], int) for b in bars)
    long = invoke(["klines", "BTC_USDT", "--interval", "Min1", "--bars", "4500"], env)
    assert long.exit_code == 0, long.output
    assert "bars)" in long.output
    bad = invoke(["klines", "BTC_USDT", "--start", "yesterday"], env)
    assert bad.exit_code == 2
    assert "Unix seconds or ISO" in bad.output


def test_watch_plain_prints_one_line_per_second_and_json_ndjson(env: dict[str, str]) -> None:
    """ux-audit finding 12: ``watch --plain`` printed whole box-drawn panels every second."""
    res = invoke(["watch", "BTC_USDT", "--duration", "2.5", "--plain"], env)
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 3  # at 1 s, 2 s and the end (2.5 s)
    line = r"BTC_USDT bid [\d,]+\.\d ask [\d,]+\.\d last [\d,.-]+ trades \d+ \(buy [\d.]+, sell"
    assert all(re.match(line, ln) for ln in lines), res.output
    assert "synced v" in res.output
    assert "│" not in res.output
    res = invoke(["watch", "BTC_USDT", "--duration", "2.5", "--json"], env)
    assert res.exit_code == 0, res.output
    rows = [json.loads(ln) for ln in res.output.strip().splitlines()]
    assert len(rows) == 3
    assert rows[-1]["symbol"] == "BTC_USDT"
    assert rows[-1]["book_synced"] is True
    assert rows[-1]["bid"] < rows[-1]["ask"]


@pytest.mark.parametrize("args", [["--refresh", "0"], ["--duration", "0"], ["--duration", "-1"]])
def test_watch_refuses_non_positive_refresh_and_duration(
    env: dict[str, str], args: list[str]
) -> None:
    res = invoke(["watch", "BTC_USDT", *args], env)
    assert res.exit_code == 2, res.output
    assert args[0] in res.output


def test_secrets_on_the_command_line_are_refused(env: dict[str, str]) -> None:
    res = invoke(["--api-secret", "abc", "balance"], env)
    assert res.exit_code == 1
    assert "secret on the command line" in res.output


def test_only_the_emulator_command_may_take_its_test_keys_as_arguments(
    env: dict[str, str],
) -> None:
    for args in (
        ["book", "emulator", "--api-secret", "abc"],
        ["--seed", "2", "balance", "--api-key=abc"],
        ["run", "emulator", "--api-secret", "abc"],
    ):
        res = invoke(args, env)
        assert res.exit_code == 1, args
        assert "secret on the command line" in res.output
    res = invoke(["--seed", "2", "emulator", "--api-key", "k", "--api-secret", "s", "--help"], env)
    assert res.exit_code == 0, res.output
    assert "TEST access key" in res.output
    assert "never real MEXC keys" in res.output

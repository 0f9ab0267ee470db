"""``order place`` says what happened to market / IOC / FOK orders (issue #12 item 9, ux-audit
finding 6): they end at once, so the command waits for the venue's final state and fills."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mexc_futures.emulator.server.server import Emulator
from tests.integration.cli.cli_support import ThreadedEmulator, env_for, invoke


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with ThreadedEmulator(seed=4, symbols=["ETH_USDT", "BTC_USDT"]) as ex:
        yield ex


@pytest.fixture
def env(emu: Emulator, tmp_path: Path) -> dict[str, str]:
    return env_for(emu, tmp_path / "home")


def place(env: dict[str, str], *args: str, symbol: str = "ETH_USDT") -> dict[str, object]:
    res = invoke(["order", "place", symbol, "--leverage", "10", "--json", *args], env)
    assert res.exit_code == 0, res.output
    out: dict[str, object] = json.loads(res.output)
    return out


def test_item9_market_ioc_fok_report_their_outcome(env: dict[str, str]) -> None:
    book = json.loads(invoke(["book", "ETH_USDT", "--limit", "1", "--json"], env).output)
    bid, ask = float(book["bids"][0]["price"]), float(book["asks"][0]["price"])
    market = place(env, "--side", "sell", "--vol", "1", "--type", "market")
    assert market["state"] == "filled", market
    assert market["filled"] == "1"
    assert market["avg_price"] is not None
    assert str(market["outcome"]).startswith("filled 1 @ ")
    ioc = place(env, "--side", "buy", "--vol", "1", "--type", "ioc", "--price", f"{ask * 1.01:.2f}")
    assert ioc["state"] == "filled", ioc
    assert str(ioc["outcome"]).startswith("filled 1 @ ")
    fok = place(env, "--side", "buy", "--vol", "1", "--type", "fok", "--price", f"{bid * 0.9:.2f}")
    assert fok["state"] == "cancelled", fok
    assert fok["filled"] == "0"
    assert fok["outcome"] == "cancelled, nothing filled (FOK not filled)"
    table = invoke(
        ["order", "place", "ETH_USDT", "--side", "sell", "--vol", "1", "--type", "market"], env
    )
    assert table.exit_code == 0, table.output
    assert "filled 1 @ " in table.output


def test_item10_defaults_keep_the_contracts_margin_mode(
    emu: Emulator, env: dict[str, str]
) -> None:
    """Ux finding 13: ``leverage --set`` and ``order place`` without ``--margin`` switched a
    cross-margin contract to isolated. Now the contract's current mode is kept."""
    res = invoke(["leverage", "BTC_USDT", "--set", "5", "--side", "both", "--margin", "cross"], env)
    assert res.exit_code == 0, res.output
    res = invoke(["leverage", "BTC_USDT", "--set", "9", "--side", "both", "--json"], env)
    assert res.exit_code == 0, res.output
    modes = {row["margin_mode"] for row in json.loads(res.output)}
    assert modes == {"cross"}, res.output
    placed = place(env, "--side", "buy", "--vol", "1", "--type", "market", symbol="BTC_USDT")
    rows = [r for r in emu.truth.orders() if r["orderId"] == placed["order_id"]]
    assert rows[-1]["openType"] == 2


def test_item10_each_emulator_has_its_own_kill_switch(emu: Emulator, tmp_path: Path) -> None:
    """Ux finding 14: ``kill`` against one emulator blocked every other emulator (one latch
    under ``~/.mexc-futures/emulator/``). The latch and journal are now per emulator address;
    the state directories are owner-only."""
    home = tmp_path / "home"
    with ThreadedEmulator(seed=5, symbols=["ETH_USDT"]) as other:
        first, second = env_for(emu, home), env_for(other, home)
        assert invoke(["kill", "--reason", "test"], first).exit_code == 0
        assert "TRIPPED" in invoke(["kill", "--status"], first).output
        assert "ARMED" in invoke(["kill", "--status"], second).output
        placed = place(second, "--side", "buy", "--vol", "1", "--type", "market")
        assert placed["state"] == "filled"
        assert invoke(["kill", "--reset"], first).exit_code == 0
    assert home.stat().st_mode & 0o077 == 0
    for d in home.iterdir():
        assert d.stat().st_mode & 0o077 == 0, d
        for f in d.glob("journal.sqlite*"):
            assert f.stat().st_mode & 0o077 == 0, f

"""balance / positions / orders / leverage / order / kill against an emulator, with bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mexc_futures.emulator.server.server import Emulator
from tests.integration.cli.cli_support import ThreadedEmulator, env_for, invoke, local_home


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with ThreadedEmulator(seed=3, symbols=["BTC_USDT", "ETH_USDT"]) as ex:
        yield ex


@pytest.fixture
def env(emu: Emulator, tmp_path: Path) -> dict[str, str]:
    return env_for(emu, tmp_path / "home")


def best_bid(env: dict[str, str]) -> float:
    book = json.loads(invoke(["book", "BTC_USDT", "--limit", "1", "--json"], env).output)
    return float(book["bids"][0]["price"])


def test_balance_positions_orders_on_a_fresh_account(env: dict[str, str]) -> None:
    bal = json.loads(invoke(["balance", "--json"], env).output)
    assert any(r["currency"] == "USDT" for r in bal)
    assert "USDT" in invoke(["balance"], env).output
    res = invoke(["positions", "--symbol", "ETH_USDT"], env)
    assert res.exit_code == 0, res.output
    assert "No open positions." in res.output
    res = invoke(["orders", "--symbol", "ETH_USDT"], env)
    assert res.exit_code == 0, res.output
    assert "No open orders." in res.output


def test_place_list_amend_cancel_round_trip(env: dict[str, str]) -> None:
    price = round(best_bid(env) * 0.95, 1)
    res = invoke(
        [
            "order",
            "place",
            "BTC_USDT",
            "--side",
            "buy",
            "--vol",
            "1",
            "--price",
            str(price),
            "--type",
            "post-only",
            "--leverage",
            "5",
            "--json",
        ],
        env,
    )
    assert res.exit_code == 0, res.output
    placed = json.loads(res.output)
    assert placed["state"] in ("pending", "open")
    oid = placed["order_id"]
    listed = json.loads(invoke(["orders", "--json"], env).output)
    assert oid in [o["order_id"] for o in listed]
    new_price = round(price - 1, 1)
    res = invoke(["order", "amend", oid, "--price", str(new_price), "--vol", "2", "--json"], env)
    assert res.exit_code == 0, res.output
    new_id = json.loads(res.output)["order_id"]
    res = invoke(["order", "cancel", new_id], env)
    assert res.exit_code == 0, res.output
    assert "cancelled" in res.output
    again = invoke(["order", "cancel", new_id], env)
    assert again.exit_code == 1
    assert "not cancelled" in again.output
    assert "mexc-futures orders" in again.output
    res = invoke(["order", "cancel-all", "--symbol", "BTC_USDT"], env)
    assert res.exit_code == 0, res.output
    assert "All orders cancelled." in res.output


def test_quantity_below_min_vol_is_refused_before_sending(env: dict[str, str]) -> None:
    res = invoke(
        ["order", "place", "BTC_USDT", "--side", "buy", "--vol", "0", "--price", "1000"], env
    )
    assert res.exit_code == 1
    assert "below minVol" in res.output
    assert "Nearest valid value" in res.output
    res = invoke(
        ["order", "place", "NOPE_USDT", "--side", "buy", "--vol", "1", "--price", "1000"], env
    )
    assert res.exit_code == 1
    assert "Unknown symbol" in res.output
    res = invoke(["order", "place", "BTC_USDT", "--side", "buy", "--vol", "1"], env)
    assert res.exit_code == 2
    assert "needs --price" in res.output


def test_leverage_show_set_and_out_of_range(env: dict[str, str]) -> None:
    res = invoke(["leverage", "ETH_USDT", "--set", "7", "--side", "long", "--json"], env)
    assert res.exit_code == 0, res.output
    rows = {r["position"]: r["leverage"] for r in json.loads(res.output)}
    assert rows["long"] == 7
    res = invoke(["leverage", "ETH_USDT", "--set", "100000"], env)
    assert res.exit_code == 1
    assert "outside" in res.output


def test_kill_switch_trips_blocks_orders_and_resets(env: dict[str, str]) -> None:
    price = round(best_bid(env) * 0.95, 1)
    place = [
        "order",
        "place",
        "BTC_USDT",
        "--side",
        "buy",
        "--vol",
        "1",
        "--price",
        str(price),
        "--type",
        "post-only",
    ]
    assert invoke(place, env).exit_code == 0
    res = invoke(["kill", "--reason", "test"], env)
    assert res.exit_code == 0, res.output
    assert "TRIPPED" in res.output
    assert "0 open" in res.output
    assert json.loads(invoke(["orders", "--symbol", "BTC_USDT", "--json"], env).output) == []
    assert "TRIPPED (test)" in invoke(["kill", "--status"], env).output
    refused = invoke(place, env)
    assert refused.exit_code == 1
    assert "Kill switch is TRIPPED" in refused.output
    assert "kill --reset" in refused.output
    assert invoke(["audit", "--order-test"], env).exit_code == 1
    res = invoke(["kill", "--reset"], env)
    assert "re-armed" in res.output
    assert invoke(place, env).exit_code == 0
    invoke(["order", "cancel-all"], env)


def test_missing_keys_say_where_to_put_them(tmp_path: Path) -> None:
    with local_home(tmp_path) as env:
        env.update({"MEXC_API_KEY": "", "MEXC_API_SECRET": ""})
        for args in (["--live", "balance"], ["--emulator-url", "http://127.0.0.1:9", "orders"]):
            res = invoke(args, env)
            assert res.exit_code == 1, res.output
            assert "MEXC_API_KEY" in res.output

"""The trader's commands and the small correctness findings of the UX audit (issue #16), against
an emulator on a background thread: one --json schema, trader-grade tables, fills/trades, status,
contracts, --notional, validation before sending, global options after the sub-command."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.journal import Journal
from mexc_futures.model.events import Fill
from tests.integration.cli.cli_support import (
    NO_KEYRING,
    ThreadedEmulator,
    env_for,
    invoke,
    local_home,
)

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with ThreadedEmulator(seed=11, symbols=["BTC_USDT", "ETH_USDT", "SOL_USDT"]) as ex:
        yield ex


@pytest.fixture
def env(emu: Emulator, tmp_path: Path) -> dict[str, str]:
    return env_for(emu, tmp_path / "home")


def ok(args: list[str], env: dict[str, str]) -> str:
    res = invoke(args, env)
    assert res.exit_code == 0, res.output
    return res.output


def market_buy(env: dict[str, str], symbol: str, vol: int) -> None:
    ok(["order", "place", symbol, "--side", "buy", "--vol", str(vol), "--type", "market",
        "--leverage", "10"], env)


def check_schema(value: object) -> None:
    """cli.schema: snake_case names; prices/volumes as decimal strings; no wire integers."""
    if isinstance(value, list):
        for item in value:
            check_schema(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            assert SNAKE.match(key), key
            if key in ("side", "type", "state", "position", "margin_mode", "role"):
                assert item is None or isinstance(item, str), (key, item)
            if key in ("price", "vol", "contracts", "entry_price", "available", "fee"):
                assert item is None or isinstance(item, str), (key, item)
                if isinstance(item, str):
                    Decimal(item)
            check_schema(item)


def test_every_json_output_follows_one_schema(env: dict[str, str]) -> None:
    """ux-audit finding 12: orders/positions/leverage printed raw wire records."""
    market_buy(env, "ETH_USDT", 2)
    book = json.loads(ok(["book", "ETH_USDT", "--limit", "1", "--json"], env))
    far = (Decimal(book["bids"][0]["price"]) * Decimal("0.8")).quantize(Decimal("0.01"))
    ok(["order", "place", "ETH_USDT", "--side", "buy", "--vol", "1", "--price", str(far),
        "--type", "post-only", "--leverage", "10"], env)
    outputs = {
        "orders": ["orders", "--json"],
        "positions": ["positions", "--json"],
        "leverage": ["leverage", "ETH_USDT", "--json"],
        "balance": ["balance", "--json"],
        "book": ["book", "ETH_USDT", "--limit", "2", "--json"],
        "ticker": ["ticker", "ETH_USDT", "--json"],
        "klines": ["klines", "ETH_USDT", "--bars", "3", "--json"],
        "fills": ["fills", "--symbol", "ETH_USDT", "--json"],
        "contract": ["contract", "ETH_USDT", "--json"],
        "status": ["status", "--json"],
    }
    for name, args in outputs.items():
        data = json.loads(ok(args, env))
        check_schema(data)
        assert data, name
    pos = json.loads(ok(["positions", "--symbol", "ETH_USDT", "--json"], env))[0]
    assert pos["position"] == "long"
    assert pos["margin_mode"] == "isolated"
    assert {"mark_price", "unrealised", "notional", "margin"} <= set(pos)


def test_positions_and_balance_tables_are_trader_grade(env: dict[str, str]) -> None:
    """ux-audit finding 19: no mark/uPnL/margin/notional; 8-decimal unaligned values."""
    market_buy(env, "BTC_USDT", 3)
    out = ok(["positions", "--symbol", "BTC_USDT"], env)
    for column in ("mark", "unrealised", "notional", "margin", "liquidation"):
        assert column in out
    row = next(ln for ln in out.splitlines() if "BTC_USDT" in ln and "long" in ln)
    assert re.search(r"│\s+[\d,]+\.\d\s+│", row)  # prices to the tick (0.1), grouped
    assert not re.search(r"\d\.\d{5,}", row)  # no 8-decimal averages
    bal = ok(["balance"], env)
    assert re.search(r"\d{1,3}(,\d{3})*\.\d{4}", bal)
    book = ok(["book", "BTC_USDT", "--limit", "2"], env)
    assert "spread" in book
    assert "mid" in book
    sizes = re.findall(r"│ (?:ask|bid)\s+│\s+[\d,.]+ │\s+(\S+) │", book)
    assert sizes
    assert all(s.isdigit() for s in sizes), sizes  # contract counts are integers, not 547.0


def test_leverage_set_keeps_the_current_margin_mode(env: dict[str, str]) -> None:
    """ux-audit finding 13: --set on a cross symbol silently turned it isolated."""
    ok(["leverage", "SOL_USDT", "--set", "9", "--margin", "cross"], env)
    rows = json.loads(ok(["leverage", "SOL_USDT", "--set", "5", "--json"], env))
    assert {r["margin_mode"] for r in rows} == {"cross"}
    assert {r["leverage"] for r in rows} == {5}


def test_fills_trades_csv_since_and_journal(env: dict[str, str]) -> None:
    """Missing feature 1 / finding 23: `fills` did not exist."""
    market_buy(env, "BTC_USDT", 1)
    out = ok(["fills", "--symbol", "BTC_USDT", "--since", "1h"], env)
    assert "Fills (venue)" in out
    assert "open long" in out
    assert "taker" in out
    same = ok(["trades", "--symbol", "BTC_USDT", "--since", "1h"], env)
    assert "open long" in same
    csv_text = ok(["fills", "--symbol", "BTC_USDT", "--csv"], env)
    header, first = csv_text.splitlines()[:2]
    assert header.startswith("time_ms,symbol,side,vol,price,fee")
    assert ",BTC_USDT,open long," in first
    none = ok(["fills", "--symbol", "SOL_USDT", "--since", "30m"], env)
    assert "No fills." in none
    future = invoke(["fills", "--symbol", "BTC_USDT", "--since", "2099-01-01"], env)
    assert future.exit_code == 2
    assert "in the future" in future.output
    port = env["MEXC_EMULATOR_URL"].rsplit(":", 1)[1]
    path = Path(env["MEXC_FUTURES_HOME"]) / f"emulator-127.0.0.1-{port}" / "journal.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    j = Journal(path)
    j.record_fill(
        Fill(fill_id="f1", order_id="o1", symbol="ETH_USDT", side=3, vol=Decimal(2),
             price=Decimal("2400.5"), fee=Decimal("0.002"), fee_currency="USDT",
             profit=Decimal(0), is_taker=False, time=int(time.time() * 1000)),
        0,
    )
    j.close()
    rows = json.loads(ok(["fills", "--source", "journal", "--json"], env))
    # the market buy above is journaled with its fill too (order place settles market orders)
    assert ("ETH_USDT", "open short", "2", "2400.5") in [
        (r["symbol"], r["side"], r["vol"], r["price"]) for r in rows
    ]
    assert "open short" in ok(["fills"], env)  # no --symbol: the journal
    res = invoke(["fills", "--source", "venue"], env)
    assert res.exit_code == 2
    assert "--symbol" in res.output


def test_status_contracts_and_contract(env: dict[str, str]) -> None:
    """Missing features 4 and 6, finding 18: no status screen, no contract specification."""
    market_buy(env, "BTC_USDT", 1)
    out = ok(["status"], env)
    assert "EMULATOR" in out
    assert "Kill switch: OK (armed)" in out
    assert re.search(r"Position BTC_USDT long \d+ @ [\d,]+\.\d, mark [\d,]+\.\d, uPnL [+-]", out)
    assert "Balance USDT: equity" in out
    out = ok(["contract", "BTC_USDT"], env)
    assert "0.0001 BTC per contract" in out
    assert "Tick (price step)" in out
    assert "maker 0.010%" in out
    assert "API trading" in out
    out = ok(["contracts"], env)
    assert re.search(r"BTC_USDT\s+│\s+0\.0001 BTC", out)


def test_notional_sizing(env: dict[str, str]) -> None:
    res = ok(["order", "place", "BTC_USDT", "--side", "buy", "--notional", "100USDT",
              "--type", "market", "--json"], env)
    vol = int(json.loads(res)["vol"])
    assert 1 <= vol <= 20  # 100 USDT of 0.0001 BTC contracts at ~84,000
    res = invoke(["order", "place", "BTC_USDT", "--side", "buy", "--notional", "5",
                  "--type", "market"], env)
    assert res.exit_code == 1
    assert "the minimum is 1" in res.output
    res = invoke(["order", "place", "BTC_USDT", "--side", "buy", "--vol", "1",
                  "--notional", "100", "--type", "market"], env)
    assert res.exit_code == 2


def test_orders_are_checked_before_sending(env: dict[str, str]) -> None:
    """ux-audit finding 10: a market order took a price; close with no position spoke jargon;
    a wrong secret pointed to another contract with a double full stop."""
    res = invoke(["order", "place", "BTC_USDT", "--side", "buy", "--vol", "1", "--price",
                  "60000", "--type", "market"], env)
    assert res.exit_code == 2
    assert "--type market takes no --price" in res.output
    res = invoke(["order", "place", "SOL_USDT", "--side", "close-short", "--vol", "1",
                  "--type", "market"], env)
    assert res.exit_code == 1
    assert "no position on that side to close" in res.output
    assert "reduce_only" not in res.output
    bad = {**env, "MEXC_API_SECRET": "not-the-secret"}  # pragma: allowlist secret
    res = invoke(["order", "place", "BTC_USDT", "--side", "buy", "--vol", "1", "--price",
                  "60000"], bad)
    assert res.exit_code == 1
    assert "check MEXC_API_KEY and MEXC_API_SECRET" in res.output
    assert "Pick another contract" not in res.output
    assert ".." not in res.output


@pytest.mark.parametrize(
    "args",
    [["book", "BTC_USDT", "--limit", "0"], ["book", "BTC_USDT", "--limit", "-3"],
     ["klines", "BTC_USDT", "--bars", "0"], ["klines", "BTC_USDT", "--bars", "-4"]],
)
def test_market_inputs_are_checked_locally(env: dict[str, str], args: list[str]) -> None:
    """ux-audit finding 10: the venue's error 600, or "--start must be before --end"."""
    res = invoke(args, env)
    assert res.exit_code == 2, res.output
    assert args[2] in res.output
    assert "MEXC error" not in res.output
    assert "--start" not in res.output


def test_klines_plot_and_short_history_note(env: dict[str, str]) -> None:
    out = ok(["klines", "BTC_USDT", "--bars", "30", "--plot"], env)
    assert re.search(r"BTC_USDT Min1 close, (29|30) bars", out), out
    assert "┤" in out  # y axis
    assert "└" in out  # time axis
    long = invoke(["klines", "BTC_USDT", "--bars", "5000"], env)
    assert long.exit_code == 0
    assert "of the 5000 bars asked for exist" in long.output  # not silently 2001


def test_global_options_after_the_sub_command(env: dict[str, str], emu: Emulator) -> None:
    """ux-audit finding 23: `book BTC_USDT --live` answered "Did you mean '--limit'?"."""
    plain = {k: v for k, v in env.items() if k != "MEXC_EMULATOR_URL"}
    out = ok(["book", "BTC_USDT", "--limit", "1", "--emulator-url", emu.rest_url], plain)
    assert "BTC_USDT book" in out
    res = invoke(["book", "BTC_USDT", "--live", "--emulator-url", emu.rest_url], plain)
    assert res.exit_code == 2
    assert "exclude each other" in res.output  # --live was understood as the global option
    assert "Did you mean" not in res.output


def test_emulator_refuses_unknown_symbols_and_a_busy_port(tmp_path: Path) -> None:
    """ux-audit findings 10 and 11: FOO became a contract; a taken port printed a traceback."""
    with local_home(tmp_path) as env:
        res = invoke(["emulator", "--port", "0", "--symbols", "BTC_USDT,FOO,eth_usdt"], env)
        assert res.exit_code == 1
        assert "Unknown symbol FOO" in res.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "mexc_futures.cli", "emulator", "--port", str(port)],
            capture_output=True, text=True, timeout=60, check=False,
            env={"PATH": "/usr/bin:/bin", "PYTHON_KEYRING_BACKEND": NO_KEYRING,
                 "MEXC_FUTURES_HOME": str(tmp_path)},
        )
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert err.startswith(f"Error: Port {port} on 127.0.0.1 is already in use")
    assert "--port 0" in err
    assert "Traceback" not in proc.stderr
    assert len(err.splitlines()) == 1


def test_log_file_in_json_has_the_activity(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    with local_home(tmp_path) as env:
        res = invoke(["run", "market_maker", "--duration", "3", "--quiet",
                      "--log-file", str(log), "--log-format", "json"], env)
    assert res.exit_code == 0, res.output
    rows = [json.loads(ln) for ln in log.read_text().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(rows[0])
    decisions = [r for r in rows if r.get("event") == "order"]
    assert decisions
    first = decisions[0]
    assert first["logger"] == "mexc_futures.activity"
    assert first["reason"].startswith("market_maker")
    assert first["outcome"] in ("accepted", "refused")
    assert "place BTC_USDT" in first["decision"]


def test_audit_against_its_own_emulator_is_clean_even_strict(env: dict[str, str]) -> None:
    """ux-audit finding 21: documented fields the models leave out showed as "new field" rows,
    and ``audit --strict`` failed against the toolkit's own emulator; ``--symbol FOO_USDT``
    reported 13 drift rows instead of "unknown symbol"."""
    res = invoke(["audit", "--strict"], env)
    assert res.exit_code == 0, res.output
    assert "new field" not in res.output
    assert "No drift" in res.output
    res = invoke(["audit", "--symbol", "FOO_USDT"], env)
    assert res.exit_code == 1
    assert "Unknown symbol" in res.output
    assert "drift finding" not in res.output


def test_each_emulator_has_its_own_kill_switch(env: dict[str, str], tmp_path: Path) -> None:
    """ux-audit finding 14: killing one emulator's account blocked every other emulator and the
    in-process paper runs (one ``~/.mexc-futures/emulator/`` for all)."""
    assert invoke(["kill", "--reason", "test"], env).exit_code == 0
    try:
        with ThreadedEmulator(seed=12, symbols=["BTC_USDT"]) as other:
            env2 = env_for(other, Path(env["MEXC_FUTURES_HOME"]).parent)
            res = invoke(["orders"], env2)
            assert res.exit_code == 0, res.output
            res = invoke(["order", "place", "BTC_USDT", "--side", "buy", "--vol", "1",
                          "--price", "1000", "--type", "post-only", "--leverage", "5"], env2)
            assert "TRIPPED" not in res.output
        paper = {**env, "MEXC_EMULATOR_URL": ""}
        res = invoke(["run", "funding_monitor", "--duration", "1", "--quiet"], paper)
        assert res.exit_code == 0, res.output
        res = invoke(["order", "place", "BTC_USDT", "--side", "buy", "--vol", "1",
                      "--price", "1000"], env)
        assert res.exit_code == 1
        assert "Kill switch is TRIPPED" in res.output  # the killed account stays blocked
    finally:
        invoke(["kill", "--reset"], env)


def test_watch_ctrl_c_exits_zero(tmp_path: Path) -> None:
    """ux-audit finding 16: `watch` (documented "until Ctrl-C") printed `Aborted!`, exit 1."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mexc_futures.cli", "watch", "BTC_USDT", "--plain"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHON_KEYRING_BACKEND": NO_KEYRING,
             "MEXC_FUTURES_HOME": str(tmp_path)},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # a line per second: it is up and watching
        assert first.startswith("BTC_USDT bid"), first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Aborted" not in err + out
    assert "Traceback" not in err

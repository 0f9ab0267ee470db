"""CLI for every order type (issue #15): place with TP/SL, trigger, trailing lists, batch,
position protect/close/reverse/margin and kill --flatten, each with --json, against one
emulator (its own account per module)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli.cli_support import ThreadedEmulator, env_for, invoke

pytestmark = pytest.mark.timeout(60)
SYM = "BTC_USDT"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with ThreadedEmulator(seed=4, symbols=[SYM, "ETH_USDT"]) as ex:
        yield env_for(ex, tmp_path / "home")


def last(env: dict[str, str]) -> float:
    return float(json.loads(invoke(["ticker", SYM, "--json"], env).output)[0]["last_price"])


def ok(args: list[str], env: dict[str, str]) -> Any:
    res = invoke([*args, "--json"], env)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_place_with_tp_sl_then_protect_amend_close(env: dict[str, str]) -> None:
    px = last(env)
    sl, tp = round(px * 0.9, 1), round(px * 1.1, 1)
    placed = ok(
        [
            "order",
            "place",
            SYM,
            "--side",
            "buy",
            "--vol",
            "2",
            "--type",
            "market",
            "--leverage",
            "10",
            "--stop-loss",
            str(sl),
            "--take-profit",
            str(tp),
            "--trigger-price-type",
            "fair",
        ],
        env,
    )
    assert placed["stop_loss"] == str(sl)
    stops = ok(["order", "stops", "--symbol", SYM], env)
    assert len(stops) == 1
    assert stops[0]["stop_loss_price_type"] == "fair"
    assert float(stops[0]["stop_loss"]) == sl
    assert "stop-loss" in invoke(["order", "stops"], env).output
    # a second protection on the position, moved, then cancelled
    prot = ok(["position", "protect", SYM, "--stop-loss", str(round(px * 0.8, 1))], env)
    assert prot["state"] == "live"
    moved = ok(
        [
            "order",
            "amend-stop",
            prot["venue_id"],
            "--symbol",
            SYM,
            "--stop-loss",
            str(round(px * 0.85, 1)),
        ],
        env,
    )
    assert moved["state"] == "done"
    gone = ok(["order", "cancel-stop", prot["venue_id"], "--symbol", SYM], env)
    assert gone["state"] == "done"
    assert len(ok(["order", "stops", "--symbol", SYM], env)) == 1
    closed = ok(["position", "close", SYM], env)
    assert closed["positions_left"] == 0


def test_trigger_list_cancel(env: dict[str, str]) -> None:
    px = last(env)
    trig = ok(
        [
            "order",
            "trigger",
            SYM,
            "--side",
            "buy",
            "--vol",
            "1",
            "--when",
            "falls-to",
            "--at",
            str(round(px * 0.5, 1)),
            "--leverage",
            "10",
            "--price-type",
            "index",
        ],
        env,
    )
    assert trig["state"] == "live"
    rows = ok(["order", "triggers", "--symbol", SYM], env)
    assert [r["trigger_id"] for r in rows] == [trig["venue_id"]]
    assert rows[0]["price_type"] == "index"
    assert rows[0]["when"] == "falls to"
    table = invoke(["order", "triggers"], env).output
    assert "index" in table
    assert "<=" in table
    ok(["order", "cancel-trigger", trig["venue_id"], "--symbol", SYM], env)
    assert ok(["order", "triggers", "--symbol", SYM], env) == []
    assert "No trigger orders." in invoke(["order", "triggers"], env).output


def test_batch_file(env: dict[str, str], tmp_path: Path) -> None:
    px = last(env)
    f = tmp_path / "orders.json"
    f.write_text(
        json.dumps(
            [
                {
                    "symbol": SYM,
                    "side": "buy",
                    "vol": 1,
                    "price": round(px * 0.9, 1),
                    "leverage": 10,
                },
                {
                    "symbol": SYM,
                    "side": "buy",
                    "vol": 1,
                    "price": round(px * 0.91, 1),
                    "leverage": 10,
                },
            ]
        )
    )
    rows = ok(["order", "batch", str(f)], env)
    assert [r["error_code"] for r in rows] == [0, 0]
    assert all(r["order_id"] for r in rows)
    f.write_text('[{"symbol": "BTC_USDT", "side": "up"}]')
    bad = invoke(["order", "batch", str(f)], env)
    assert bad.exit_code == 1
    assert "--help" in bad.output


def test_reverse_margin_close_all_and_kill_flatten(env: dict[str, str]) -> None:
    ok(
        [
            "order",
            "place",
            SYM,
            "--side",
            "buy",
            "--vol",
            "2",
            "--type",
            "market",
            "--leverage",
            "10",
        ],
        env,
    )
    rev = ok(["position", "reverse", SYM], env)
    assert rev["state"] == "done"
    pos = ok(["positions", "--symbol", SYM], env)
    assert [p["position"] for p in pos] == ["short"]
    before = float(pos[0]["margin"])
    m = ok(["position", "margin", SYM, "--add", "5"], env)
    assert float(m["margin"]) == pytest.approx(before + 5)
    assert ok(["position", "close", "--all"], env)["positions_left"] == 0
    # kill --flatten: orders, triggers and positions all gone and verified
    ok(
        [
            "order",
            "place",
            SYM,
            "--side",
            "buy",
            "--vol",
            "1",
            "--type",
            "market",
            "--leverage",
            "10",
        ],
        env,
    )
    ok(
        [
            "order",
            "trigger",
            SYM,
            "--side",
            "buy",
            "--vol",
            "1",
            "--when",
            "falls-to",
            "--at",
            str(round(last(env) * 0.5, 1)),
            "--leverage",
            "10",
        ],
        env,
    )
    res = invoke(["kill", "--flatten", "--reason", "test"], env)
    assert res.exit_code == 0, res.output
    assert "flat" in res.output
    assert ok(["positions"], env) == []
    assert ok(["order", "triggers"], env) == []
    refused = invoke(["position", "reverse", SYM], env)
    assert refused.exit_code == 1
    assert invoke(["kill", "--reset"], env).exit_code == 0


def test_trailing_place_list_cancel(env: dict[str, str]) -> None:
    ok(["order", "place", SYM, "--side", "buy", "--vol", "1", "--type", "market",
        "--leverage", "10"], env)  # fmt: skip
    px = last(env)
    placed = ok(
        ["order", "trailing", SYM, "--side", "close-long", "--vol", "1", "--callback", "2%",
         "--activation", str(round(px * 1.5, 1))],
        env,
    )  # fmt: skip
    assert placed["state"] == "live"
    assert placed["what"].startswith("trailing BTC_USDT close long 1 callback 2")
    rows = ok(["order", "trailings", "--symbol", SYM], env)
    assert [r["trailing_id"] for r in rows] == [placed["venue_id"]]
    assert rows[0]["callback_rate"] == "0.02"
    assert rows[0]["state"] == "waiting"
    assert "2.00%" in invoke(["order", "trailings"], env).output
    ok(["order", "cancel-trailing", placed["venue_id"], "--symbol", SYM], env)
    assert ok(["order", "trailings"], env) == []
    bad = invoke(["order", "trailing", SYM, "--side", "close-long", "--vol", "1",
                  "--callback", "x%"], env)  # fmt: skip
    assert bad.exit_code == 2
    assert "percentage" in bad.output


def test_order_chase_moves_then_cancels_or_keeps(tmp_path: Path) -> None:
    """``order chase`` on a still book: starts five ticks under the best bid, is moved to the
    best bid, and when ``--for`` is up what is left is cancelled (``--keep``: left resting);
    with ``--limit`` under the best ask it is never moved."""
    with ThreadedEmulator(seed=4, symbols=[SYM], venue_options={"flow_rate": 0.0}) as ex:
        env = env_for(ex, tmp_path / "home")
        ticker = json.loads(invoke(["ticker", SYM, "--json"], env).output)[0]
        bid = float(ticker["bid"])
        start = round(bid - 0.5, 1)
        base = ["order", "chase", SYM, "--side", "buy", "--vol", "1", "--leverage", "10"]
        done = ok([*base, "--price", str(start), "--for", "1.5", "--every", "0.2"], env)
        assert (done["moves"], float(done["price"]), done["state"]) == (1, bid, "cancelled")
        kept = ok([*base, "--price", str(start), "--for", "0.5", "--every", "0.2", "--keep"], env)
        assert (kept["moves"], kept["state"]) == (1, "live")
        capped = ok([*base, "--price", str(start), "--limit", str(bid), "--for", "0.5"], env)
        assert (capped["moves"], capped["price"], capped["state"]) == (0, str(start), "cancelled")
        res = invoke(["order", "chase", "--help"], env)
        assert "--limit" in res.output
        assert "Examples" in res.output


def test_readme_protect_commands_run_as_written(env: dict[str, str]) -> None:
    """The README's "Protect a position" commands, word for word, in order, each exit 0 — with
    its example prices (58,000 / 66,000 around a ~62,000 market) moved to the same places
    around this emulator's price."""
    from tests.integration.readme_support import PROTECT, blocks, commands

    (block,) = blocks(PROTECT, "bash")
    px = last(env)
    where = {"58000": str(round(px * 0.9, 1)), "66000": str(round(px * 1.1, 1))}
    ran = []
    for args in commands(block):
        res = invoke([where.get(a, a) for a in args], env)
        assert res.exit_code == 0, (args, res.output)
        ran.append(args[:2])
    assert ran == [
        ["order", "place"],
        ["position", "protect"],
        ["order", "stops"],
        ["order", "trigger"],
        ["order", "trailing"],
        ["position", "close"],
    ]

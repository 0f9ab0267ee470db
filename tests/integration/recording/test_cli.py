"""``mexc-futures record`` / ``record info`` / ``replay`` as a user runs them (in-process emulator):
the recording is made, described and replayed with equal books; errors say what to do."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mexc_futures.cli.main import cli


def test_record_info_replay_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    r = CliRunner().invoke(cli, ["--seed", "7", "record", "BTC_USDT", "--duration", "2s",
                                 "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert f"see `mexc-futures record info {out}`" in r.output
    info = CliRunner().invoke(cli, ["record", "info", str(out)])
    assert info.exit_code == 0, info.output
    for text in ("push.depth BTC_USDT", "symbol-day projection", "complete, sha256 ok",
                 "gaps        none"):
        assert text in info.output
    data = json.loads(CliRunner().invoke(cli, ["record", "info", str(out), "--json"]).output)
    assert data["book_checkpoints"] == 1
    assert "BTC_USDT" in data["symbol_day_mb"]
    rp = CliRunner().invoke(cli, ["replay", str(out), "--check-books"])
    assert rp.exit_code == 0, rp.output
    assert "books       1/1 equal to the recorded books" in rp.output
    assert "sequence gaps 0" in rp.output
    ev = CliRunner().invoke(cli, ["replay", str(out), "--events", "-s", "BTC_USDT"])
    lines = [json.loads(x) for x in ev.stdout.splitlines() if x.startswith("{")]
    assert {"BookUpdate", "Ticker"} <= {x["type"] for x in lines}
    js = json.loads(CliRunner().invoke(cli, ["replay", str(out), "--json"]).output)
    assert js["frames"] > 0
    assert js["undecodable"] == 0


def test_helpful_errors(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["record", "info", str(tmp_path)])
    assert r.exit_code != 0
    assert "not a recording" in r.output
    r = CliRunner().invoke(cli, ["replay", str(tmp_path), "--speed", "fast"])
    assert r.exit_code != 0
    assert "use max, or a factor" in r.output
    r = CliRunner().invoke(cli, ["record", "BTC_USDT", "--out", str(tmp_path), "--duration",
                                 "soon"])
    assert r.exit_code != 0
    assert "90s / 15m / 24h" in r.output
    r = CliRunner().invoke(cli, ["record", "--help"])
    assert "record info" in r.output
    assert "--check-books" in r.output


def test_emulator_replay_options(tmp_path: Path) -> None:
    from mexc_futures.cli.replay_opts import replay_options as _replay_options

    out = tmp_path / "rec"
    r = CliRunner().invoke(cli, ["--seed", "3", "record", "BTC_USDT", "--duration", "2s",
                                 "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    kw, note = _replay_options(out, "prob:3", None)
    assert kw["symbols"] == ["BTC_USDT"]
    assert kw["start_ms"] == kw["venue_options"]["start_ms"] > 0
    assert "queue model prob:3" in note
    bad = CliRunner().invoke(cli, ["emulator", "--replay", str(out), "--queue-model", "magic"])
    assert bad.exit_code != 0
    assert "risk-averse, prob" in bad.output
    other = CliRunner().invoke(cli, ["emulator", "--replay", str(out), "--symbols", "ETH_USDT"])
    assert other.exit_code != 0
    assert "not in the recording" in other.output or "none of" in other.output

"""``run STRATEGY``: paper runs of the examples; live refuses without safe keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_support import invoke, local_home

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    with local_home(tmp_path) as e:
        e.update({"MEXC_API_KEY": "", "MEXC_API_SECRET": ""})
        return e


def test_paper_run_of_the_funding_monitor_and_breakout(env: dict[str, str]) -> None:
    res = invoke(
        ["run", str(EXAMPLES / "funding_monitor.py"), "--duration", "2", "-p", "threshold=0.00001"],
        env,
    )
    assert res.exit_code == 0, res.output
    assert "ALERT BTC_USDT funding" in res.output
    assert "Reconciliation: MATCH" in res.output
    res = invoke(
        [
            "run",
            str(EXAMPLES / "breakout.py"),
            "--duration",
            "2",
            "-p",
            "lookback=5",
            "-p",
            "exit_lookback=3",
            "-p",
            "cooldown_ms=100",
        ],
        env,
    )
    assert res.exit_code == 0, res.output
    assert "Reconciliation: MATCH" in res.output


def test_bad_strategy_parameters_say_what_is_valid(env: dict[str, str]) -> None:
    res = invoke(["run", str(EXAMPLES / "market_maker.py"), "-p", "sizee=2"], env)
    assert res.exit_code == 1
    assert "no parameter 'sizee'" in res.output
    assert "size" in res.output
    res = invoke(["run", "nope.py"], env)
    assert res.exit_code == 1
    assert "not found" in res.output


def test_live_refuses_without_keys(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    res = invoke(["run", str(EXAMPLES / "market_maker.py"), "--live", "--yes"], env)
    assert res.exit_code == 1
    assert "run --live refused" in res.output
    assert "MEXC_API_KEY" in res.output


def test_live_refuses_keys_on_the_command_line(env: dict[str, str]) -> None:
    for args in (
        ["--api-key=mx0vabc", "run", "x.py", "--live"],
        ["run", "x.py", "--live", "--secret", "s3cr3t"],
        ["run", "x.py", "--live", "MEXC_API_SECRET=s3cr3t"],
    ):
        res = invoke(args, env)
        assert res.exit_code == 1, args
        assert "secret on the command line" in res.output
        assert "s3cr3t" not in res.output


def test_live_refuses_a_secret_file_readable_by_others(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("MEXC_API_KEY=mx0vglTEST\nMEXC_API_SECRET=abcdef0123456789\n")
    dotenv.chmod(0o644)
    monkeypatch.chdir(tmp_path)
    res = invoke(["run", str(EXAMPLES / "market_maker.py"), "--live", "--yes"], env)
    assert res.exit_code == 1
    assert "run --live refused" in res.output
    assert "0600" in res.output or "chmod" in res.output
    assert "abcdef0123456789" not in res.output

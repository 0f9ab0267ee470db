"""``run STRATEGY``: paper runs of the examples; live refuses without safe keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli.cli_support import invoke, local_home

ROOT = Path(__file__).resolve().parents[3]
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
    # pragma: allowlist nextline secret - a dummy test key, not a credential
    dotenv.write_text("MEXC_API_KEY=mx0vglTEST\nMEXC_API_SECRET=abcdef0123456789\n")
    dotenv.chmod(0o644)
    monkeypatch.chdir(tmp_path)
    res = invoke(["run", str(EXAMPLES / "market_maker.py"), "--live", "--yes"], env)
    assert res.exit_code == 1
    assert "run --live refused" in res.output
    assert "0600" in res.output or "chmod" in res.output
    assert "abcdef0123456789" not in res.output


def test_paper_run_by_name_on_an_external_emulator_and_trading_off_is_explained(
    tmp_path: Path,
) -> None:
    from tests.integration.cli.cli_support import ThreadedEmulator, env_for

    with ThreadedEmulator(
        seed=5,
        symbols=["BTC_USDT", "ETH_USDT"],
        venue_options={"api_disallowed": ("ETH_USDT",), "flow_rate": 12.0},
    ) as ex:
        env = env_for(ex, tmp_path / "home")
        res = invoke(["run", "market_maker", "--duration", "2"], env)
        assert res.exit_code == 0, res.output
        assert f"paper account on the emulator at {ex.rest_url}" in res.output
        assert "Reconciliation: MATCH" in res.output
        assert "Trading:          on" in res.output
        assert "Ground truth" not in res.output  # that needs the emulator in-process
        res = invoke(["run", "market_maker", "-s", "ETH_USDT", "--duration", "1"], env)
        assert res.exit_code == 0, res.output
        # fidelity row 17: apiAllowed=false is tried once; the venue's 1002 switches it off
        assert "Trading:          OFF — ETH_USDT: ETH_USDT does not accept API orders" in res.output
        assert "apiAllowed=false and the venue answered 1002" in res.output
        assert "Orders placed:    0" in res.output
        place = ["order", "place", "ETH_USDT", "--side", "buy", "--vol", "1", "--price", "100"]
        res = invoke(place, env)
        assert res.exit_code == 1
        assert "MEXC error 1002" in res.output  # sent once; the venue's answer is shown
        assert "apiAllowed=false" in res.output
        assert "trade another contract" in res.output
        bad_key = invoke(["balance"], {**env, "MEXC_API_KEY": "mx0vwrong"})
        assert bad_key.exit_code == 1
        assert "An emulator accepts only its own test keys" in bad_key.output


def test_paper_refusals_say_what_to_do(env: dict[str, str]) -> None:
    res = invoke(["run", "market_maker", "-s", "FOO_USDT", "--duration", "1"], env)
    assert res.exit_code == 1
    assert "Unknown symbol FOO_USDT" in res.output
    assert "BTC_USDT" in res.output
    res = invoke(["run", "market_maker", "--show-params"], env)
    assert res.exit_code == 0
    assert "max_position" in res.output
    assert "-p KEY=VALUE" in res.output
    assert invoke(["kill", "--reason", "test"], env).exit_code == 0
    res = invoke(["run", "market_maker", "--duration", "1"], env)
    assert res.exit_code == 1
    assert "Kill switch is TRIPPED (test" in res.output
    assert "the strategy was not started" in res.output
    assert "kill --reset" in res.output
    assert invoke(["kill", "--reset"], env).exit_code == 0
    down = invoke(["--emulator-url", "http://127.0.0.1:9", "book", "BTC_USDT"], env)
    assert down.exit_code == 1
    assert "Is the emulator running at http://127.0.0.1:9?" in down.output
    assert "no answer" in down.output

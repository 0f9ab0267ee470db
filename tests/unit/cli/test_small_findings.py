"""Small things of the UX audit (issue #16) that need no venue: the version, the emulator port,
``Environment.from_env`` and ``MEXC_EMULATOR_URL``, ``.env`` quoting, number formatting."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import mexc_futures
from mexc_futures.cli import fmt, schema
from mexc_futures.config import EMULATOR_PORT, Environment, parse_env_file
from mexc_futures.model.intents import TradeSide
from mexc_futures.strategy.api import post_only
from mexc_futures.strategy.guard import check_intents, describe_exception


def test_version_is_exposed() -> None:
    """ux-audit finding 17: there was no ``mexc_futures.__version__``."""
    assert mexc_futures.__version__[0].isdigit()


def test_local_environment_and_the_emulator_agree_on_the_port() -> None:
    """ux-audit finding 17: ``Environment.local()`` said 8080, the emulator listens on 8000."""
    from mexc_futures.cli.emulator_cmd import emulator

    default = next(p.default for p in emulator.params if p.name == "port")
    assert default == EMULATOR_PORT == 8000
    assert Environment.local().rest_url == "http://127.0.0.1:8000"


def test_from_env_honours_the_emulator_url() -> None:
    """ux-audit finding 17: ``Environment.from_env()`` ignored ``MEXC_EMULATOR_URL``."""
    env = Environment.from_env({"MEXC_EMULATOR_URL": "http://127.0.0.1:18431"})
    assert not env.is_live
    assert env.ws_url == "ws://127.0.0.1:18431/edge"
    assert Environment.from_env({}).is_live


def test_dotenv_quoted_value_with_a_comment(tmp_path: Path) -> None:
    """ux-audit finding 15: ``MEXC_API_SECRET="s" # c`` kept the quotes."""
    path = tmp_path / ".env"
    path.write_text(
        'A="s" # c\nB=\'t u\'  # note\nC=v # note\nD="x#y"\nexport E = "q"\nF="unclosed\n'
    )
    os.chmod(path, 0o600)
    assert parse_env_file(path) == {
        "A": "s",
        "B": "t u",
        "C": "v",
        "D": "x#y",
        "E": "q",
        "F": '"unclosed',
    }


def test_numbers_are_formatted_to_the_contract_and_never_scientific() -> None:
    """ux-audit finding 19: ``1.8e-05``, ``@ 83999.66667``, ``-0.0000``, raw ``0.0001``."""
    assert fmt.price(Decimal("83999.66667"), fmt.decimals_of("0.1")) == "83,999.7"
    assert fmt.price(0.0000095002333, fmt.decimals_of("0.00000001")) == "0.00000950"
    assert fmt.pnl(Decimal("-0.00001")) == "+0.0000"
    assert fmt.pct(0.0001) == "+0.0100%"
    assert fmt.vol(Decimal("547.0")) == "547"
    assert schema.num(1.8e-05) == "0.000018"
    assert schema.num(Decimal("10000.00")) == "10000"


def test_check_intents_refuses_by_name_and_never_iterates_a_string() -> None:
    good = post_only("BTC_USDT", TradeSide.OPEN_LONG, 1, 100)
    assert check_intents("S", "on_book", None) == ([], [])
    assert check_intents("S", "on_book", good) == ([good], [])
    sent, refused = check_intents("S", "on_book", ["buy please", good, 3])
    assert sent == [good]
    assert len(refused) == 2
    assert refused[0].startswith("S.on_book returned 'buy please' (str): not an intent")
    sent, refused = check_intents("S", "on_timer", "buy")
    assert sent == []
    assert refused == [refused[0]]
    assert "'buy' (str)" in refused[0]


def test_describe_exception_names_the_users_file_and_line() -> None:
    def handler() -> None:
        raise ValueError("bad price")

    try:
        handler()
    except ValueError as exc:
        failure = describe_exception("on_book", exc)
    assert failure.where.startswith("test_small_findings.py:")
    assert failure.where.endswith(" in handler")
    assert failure.error == "ValueError: bad price"
    assert "Traceback (most recent call last)" in failure.trace
    assert failure.line("Mine") == f"Mine.on_book raised ValueError: bad price at {failure.where}"

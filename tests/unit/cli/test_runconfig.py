"""The TOML configuration file of ``run`` is validated with messages that name the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.cli.runconfig import load_config
from mexc_futures.errors import ConfigError

GOOD = """
[run]
strategy = "mine.py"
symbols = ["btc_usdt", "ETH_USDT"]
duration = 30
max_errors = 3
view = "plain"

[params]
size = 2
enabled = true
names = ["a", "b"]

[risk]
max_position = 6
max_open_orders_per_symbol = 1
position_by_symbol = { BTC_USDT = 4 }

[alerts]
webhook_url = "https://hooks.example.com/x"
events = ["fill", "strategy_error"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def test_a_full_file_is_read(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.strategy == str(tmp_path / "mine.py")  # relative to the file
    assert cfg.symbols == ("BTC_USDT", "ETH_USDT")
    assert cfg.duration == 30
    assert cfg.max_errors == 3
    assert cfg.view == "plain"
    assert cfg.params == {"size": "2", "enabled": "true", "names": "a,b"}
    assert cfg.risk is not None
    assert cfg.risk.max_position == Decimal(6)
    assert cfg.risk.max_open_orders_per_symbol == 1
    assert cfg.risk.position_limit("BTC_USDT") == Decimal(4)
    assert cfg.webhook_url == "https://hooks.example.com/x"
    assert cfg.alert_events == ("fill", "strategy_error")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[runn]\nstrategy='x'",
            "[runn]: unknown section (known: [run], [params], [risk], [alerts], [bus])",
        ),
        ("[run]\nstrategyy='x'", "run.strategyy: unknown key (known: duration, max_errors"),
        ("[run]\nview='fancy'", "run.view: expected one of dashboard, plain, quiet"),
        ("[run]\nduration=-1", "run.duration: must be > 0"),
        ("[run]\nsymbols=3", "run.symbols: expected a list"),
        ("[risk]\nmax_open_orders=1.5", "risk.max_open_orders: expected a whole number"),
        ("[risk]\nmax_position='lots'", "risk.max_position: expected a number"),
        ("[alerts]\nwebhook_url='http://example.com/x'", "alerts.webhook_url: must be an https://"),
        ("[alerts]\nevents=['everything']", "alerts.events: expected a list of: kill_switch"),
        # pragma: allowlist nextline secret - a dummy value the loader must refuse
        ("[run]\napi_key='mx0v'", "secrets do not go in the config file"),
        ("[params]\nsecret='s'", "secrets do not go in the config file"),
        ("[run\n", "is not valid TOML"),
    ],
)
def test_mistakes_name_the_key_and_what_is_allowed(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert message in str(info.value)
    assert "mx0v" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_bus_section_gives_the_bus_url_and_refuses_a_password_key(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[bus]\nurl = "redis://127.0.0.1:6379/0"\n'))
    assert cfg.bus_url == "redis://127.0.0.1:6379/0"
    assert load_config(write(tmp_path, GOOD)).bus_url is None
    with pytest.raises(ConfigError, match=r"bus\.password"):
        load_config(write(tmp_path, '[bus]\nurl = "redis://h"\npassword = "x"\n'))
    with pytest.raises(ConfigError, match=r"bus\.url"):
        load_config(write(tmp_path, "[bus]\nurl = 5\n"))

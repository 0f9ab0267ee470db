"""Secrets are read only by the commands that need them (issue #11, item 4).

Before: the root group's secret-on-argv check (reliability-audit D15) read ``./.env`` and asked
the OS keyring at every start — ``mexc-futures --help``, ``emulator --help``, ``backtest``,
``record info`` — although none of them signs anything. Now a command reads them only when it
loads credentials, and the secret it loads is then checked against the command line.

A real ``keyring`` backend that records every call, set as the active backend; ``.env`` reads
are recorded by wrapping ``config.parse_env_file``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from click.testing import CliRunner

from mexc_futures import config
from mexc_futures.cli.main import cli

KEY = "mx0vglKeyFromTheStore"  # pragma: allowlist secret
SECRET = "s3cr3t-from-the-store-0001"  # pragma: allowlist secret
DEAD_URL = "http://127.0.0.1:9"  # nothing listens: a command that got past the check fails fast


class RecordingKeyring(keyring.backend.KeyringBackend):
    """Answers from ``store`` and records every lookup."""

    priority = 1

    def __init__(self, store: dict[str, str] | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store = store or {}
        self.calls: list[tuple[str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append((service, username))
        return self.store.get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("read-only test backend")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("read-only test backend")


@dataclass
class Stores:
    keyring: RecordingKeyring
    dotenv: Path
    dotenv_reads: list[Path] = field(default_factory=list)

    @property
    def touched(self) -> list[object]:
        return [*self.keyring.calls, *self.dotenv_reads]


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stores]:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"MEXC_API_KEY={KEY}\nMEXC_API_SECRET={SECRET}\n")
    dotenv.chmod(0o600)
    monkeypatch.chdir(tmp_path)  # the CLI's default .env is ./.env
    for name in (config.ENV_API_KEY, config.ENV_API_SECRET, config.ENV_EMULATOR_URL):
        monkeypatch.delenv(name, raising=False)
    backend = RecordingKeyring({config.ENV_API_KEY: KEY, config.ENV_API_SECRET: SECRET})
    found = Stores(backend, dotenv)
    real = config.parse_env_file

    def recording_parse(path: Path, **kw: bool) -> dict[str, str]:
        found.dotenv_reads.append(path)
        return real(path, **kw)

    monkeypatch.setattr(config, "parse_env_file", recording_parse)
    before = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield found
    finally:
        keyring.set_keyring(before)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["emulator", "--help"],
        ["backtest", "--help"],
        ["record", "info", "--help"],
        ["order", "place", "--help"],
        ["--live", "balance", "--help"],
        ["record", "info", "no-such-recording"],  # runs, fails on the path, never on keys
    ],
)
def test_commands_that_sign_nothing_touch_no_secret_store(stores: Stores, argv: list[str]) -> None:
    result = CliRunner().invoke(cli, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert stores.touched == [], f"{argv}: read {stores.touched}"


def test_a_command_with_keys_loads_them_and_refuses_the_dotenv_secret_on_argv(
    stores: Stores,
) -> None:
    """D15 kept: the secret from ``.env`` on the command line of a command that loads keys is
    refused before anything is sent; the message names the position, never the value."""
    argv = ["--emulator-url", DEAD_URL, "positions", "--symbol", f"x{SECRET}"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 1, result.output
    assert "argument 4 contains the API secret" in result.output
    assert SECRET not in result.output
    assert stores.dotenv_reads == [Path(".env")]
    assert stores.keyring.calls == []  # found in .env: the keyring is not asked


def test_the_keyring_secret_on_argv_is_refused_too(stores: Stores) -> None:
    stores.dotenv.unlink()
    argv = ["--emulator-url", DEAD_URL, "positions", "--symbol", SECRET]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 1, result.output
    assert "contains the API secret" in result.output
    assert SECRET not in result.output
    assert (config.KEYRING_SERVICE, config.ENV_API_SECRET) in stores.keyring.calls


def test_keys_are_loaded_only_when_a_command_signs(stores: Stores) -> None:
    """The same command with a harmless argument gets past the check and fails on the dead URL:
    the keys were loaded (from ``.env``) for it, and only for it."""
    result = CliRunner().invoke(cli, ["--emulator-url", DEAD_URL, "positions"])
    assert result.exit_code == 1, result.output
    assert "contains the API secret" not in result.output
    assert stores.dotenv_reads == [Path(".env")]


def test_the_environment_secret_is_still_refused_at_start(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment's secret costs no read: it is checked for every command, as before."""
    monkeypatch.setenv(config.ENV_API_KEY, KEY)
    monkeypatch.setenv(config.ENV_API_SECRET, SECRET)
    result = CliRunner().invoke(cli, ["record", "info", f"x{SECRET}"])
    assert result.exit_code == 1, result.output
    assert "argument 2 contains the API secret" in result.output
    assert stores.touched == []

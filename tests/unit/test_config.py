"""Environments and credentials (spec §1; reliability.md "Security")."""

from __future__ import annotations

import os
import pickle
import sys
import types
from pathlib import Path

import pytest

from mexc_futures import config as C
from mexc_futures.errors import ConfigError

KEY = "mx0vglTESTaccessKEY01"
# the dummy secret of vectors/signing.json
SECRET = "0123456789abcdef0123456789abcdef"  # pragma: allowlist secret
_REAL_LOOKUP = C._keyring_lookup


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real OS keyring in tests."""
    monkeypatch.setattr(C, "_keyring_lookup", lambda name: None)


def _env_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_live_defaults_and_overrides() -> None:
    live = C.Environment.live()
    assert (live.rest_url, live.ws_url, live.is_live) == (
        "https://api.mexc.com",
        "wss://contract.mexc.com/edge",
        True,
    )
    legacy = C.Environment.live(rest_url="https://contract.mexc.com/")
    assert legacy.rest_url == "https://contract.mexc.com"
    env = C.Environment.from_env({"MEXC_REST_URL": "https://api.mexc.co"})
    assert env.rest_url == "https://api.mexc.co"
    assert env.ws_url == C.LIVE_WS_URL


def test_local_environment_and_tls_rules() -> None:
    local = C.Environment.local("127.0.0.1", 8123)
    assert local.rest_url == "http://127.0.0.1:8123"
    assert local.ws_url == "ws://127.0.0.1:8123/edge"
    assert not local.is_live
    assert C.Environment.local("::1", 9).rest_url == "http://[::1]:9"
    assert C.Environment.local("localhost", 9).ws_url == "ws://localhost:9/edge"
    with pytest.raises(ConfigError, match="loopback"):
        C.Environment(name="x", rest_url="http://10.0.0.1", ws_url="ws://127.0.0.1", is_live=False)
    with pytest.raises(ConfigError, match="loopback"):
        C.Environment(
            name="x", rest_url="http://127.0.0.1", ws_url="ws://example.com", is_live=False
        )
    with pytest.raises(ConfigError, match="requires https"):
        C.Environment.live(rest_url="http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="must start with"):
        C.Environment.live(rest_url="ftp://api.mexc.com")
    with pytest.raises(ConfigError, match="no host"):
        C.Environment.live(ws_url="wss://")


def test_env_vars_first() -> None:
    creds = C.load_credentials(environ={"MEXC_API_KEY": KEY, "MEXC_API_SECRET": SECRET})
    assert (creds.api_key, creds.secret, creds.source) == (KEY, SECRET, "the environment")


def test_half_set_env_vars_name_the_missing_one() -> None:
    with pytest.raises(ConfigError, match="MEXC_API_SECRET is missing"):
        C.load_credentials(environ={"MEXC_API_KEY": KEY})


def test_env_file_0600_accepted(tmp_path: Path) -> None:
    path = _env_file(
        tmp_path,
        f"# comment\n\nexport MEXC_API_KEY={KEY}\nMEXC_API_SECRET='{SECRET}'\nOTHER=1 # note\n",
    )
    creds = C.load_credentials(path, environ={})
    assert (creds.api_key, creds.secret, creds.source) == (KEY, SECRET, str(path))
    assert C.parse_env_file(path)["OTHER"] == "1"


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_env_file_readable_by_others_refused(tmp_path: Path, mode: int) -> None:
    path = _env_file(tmp_path, f"MEXC_API_KEY={KEY}\nMEXC_API_SECRET={SECRET}\n", mode)
    with pytest.raises(ConfigError) as info:
        C.load_credentials(path, environ={})
    text = str(info.value)
    assert f"chmod 600 {path}" in text
    assert SECRET not in text


def test_bad_env_line_reported_without_content(tmp_path: Path) -> None:
    path = _env_file(tmp_path, f"MEXC_API_KEY={KEY}\n{SECRET}\n")
    with pytest.raises(ConfigError, match="line 2: expected KEY=VALUE") as info:
        C.load_credentials(path, environ={})
    assert SECRET not in str(info.value)


def test_missing_everything_gives_instructions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./.env here
    with pytest.raises(ConfigError) as info:
        C.load_credentials(environ={})
    text = str(info.value)
    assert "MEXC_API_KEY" in text
    assert "MEXC_API_SECRET" in text
    assert "chmod 600" in text
    assert "keyring set mexc-futures" in text
    with pytest.raises(ConfigError, match="does not exist"):
        C.load_credentials(tmp_path / "nope.env", environ={})


def test_default_dot_env_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _env_file(tmp_path, f"MEXC_API_KEY={KEY}\nMEXC_API_SECRET={SECRET}\n")
    monkeypatch.chdir(tmp_path)
    assert C.load_credentials(environ={}).api_key == KEY


def test_keyring_used_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = {"MEXC_API_KEY": KEY, "MEXC_API_SECRET": SECRET}
    monkeypatch.setattr(C, "_keyring_lookup", store.get)
    monkeypatch.chdir(tmp_path)
    creds = C.load_credentials(environ={})
    assert creds.source == "keyring"
    assert creds.secret == SECRET
    with pytest.raises(ConfigError):
        C.load_credentials(environ={}, use_keyring=False)


def test_real_keyring_lookup_is_guarded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []

    def broken(service: str, name: str) -> str:
        calls.append((service, name))
        raise RuntimeError("no backend")

    fake = types.ModuleType("keyring")
    fake.get_password = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", fake)
    assert _REAL_LOOKUP("MEXC_API_KEY") is None
    assert calls == [("mexc-futures", "MEXC_API_KEY")]
    fake.get_password = lambda service, name: "value"  # type: ignore[attr-defined]
    assert _REAL_LOOKUP("MEXC_API_SECRET") == "value"
    monkeypatch.setitem(sys.modules, "keyring", None)  # import fails
    assert _REAL_LOOKUP("MEXC_API_KEY") is None


def test_masked_repr_never_shows_secret() -> None:
    creds = C.Credentials(api_key=KEY, secret=SECRET)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "mx0v…EY01" in text
        assert SECRET not in text
        assert KEY not in text
    assert SECRET not in repr(creds.signer())
    with pytest.raises(TypeError):
        pickle.dumps(creds)
    with pytest.raises(ConfigError):
        C.Credentials(api_key=KEY, secret="  ")


def test_d15_no_field_dump_exposes_the_secret() -> None:
    """Reliability D15: ``dataclasses.asdict``/``astuple`` (any field dump) copied the secret out
    of the old dataclass. Every generic dump now refuses; the secret stays usable for signing."""
    import copy
    import dataclasses

    creds = C.Credentials(api_key=KEY, secret=SECRET)
    for dump in (dataclasses.asdict, dataclasses.astuple, vars, copy.deepcopy):
        with pytest.raises(TypeError):
            dump(creds)  # type: ignore[call-overload]
    assert not dataclasses.is_dataclass(creds)
    with pytest.raises(AttributeError):
        creds.api_key = "other"  # type: ignore[misc]
    assert creds.secret == SECRET
    assert creds == C.Credentials(api_key=KEY, secret=SECRET)


def test_reject_cli_secrets() -> None:
    C.reject_cli_secrets(["order", "--symbol", "BTC_USDT", "--vol", "1"], environ={})
    for argv in (
        ["--api-secret", "x"],
        ["--secret=abc"],
        ["--api-key", KEY],
        ["--key=abc"],
        ["MEXC_API_SECRET=abc"],
        ["--mexc-api-secret", "x"],
    ):
        with pytest.raises(ConfigError, match="command line"):
            C.reject_cli_secrets(argv, environ={})
    with pytest.raises(ConfigError, match="contains the API secret") as info:
        C.reject_cli_secrets(["run", f"x{SECRET}"], environ={"MEXC_API_SECRET": SECRET})
    assert SECRET not in str(info.value)
    with pytest.raises(ConfigError) as info2:
        C.reject_cli_secrets([f"--secret={SECRET}"], environ={})
    assert SECRET not in str(info2.value)


def test_reject_cli_secrets_from_dotenv_and_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reliability-audit D15: the secret's value on argv was refused only when it came from the
    environment; from ``.env`` or the keyring, ``mexc-futures ticker <secret>`` went through."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"MEXC_API_KEY={KEY}\nMEXC_API_SECRET={SECRET}\n")
    env_file.chmod(0o600)
    monkeypatch.setattr(C, "_keyring_lookup", lambda name: None)
    monkeypatch.chdir(tmp_path)  # the CLI reads ./.env
    with pytest.raises(ConfigError, match="argument 1 contains the API secret") as info:
        C.reject_cli_secrets(["ticker", SECRET], environ={})
    assert SECRET not in str(info.value)
    C.reject_cli_secrets(["ticker", "BTC_USDT"], environ={})
    env_file.unlink()
    monkeypatch.setattr(C, "_keyring_lookup", lambda name: SECRET if "SECRET" in name else KEY)
    with pytest.raises(ConfigError, match="argument 2 contains the API secret"):
        C.reject_cli_secrets(["book", "BTC_USDT", f"x{SECRET}"], environ={})

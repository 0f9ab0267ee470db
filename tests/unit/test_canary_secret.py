"""A random canary secret never appears in logs, reprs, strs or exception texts (reliability.md
"Security"). Builds signed GET/POST requests and a WS login with DEBUG logging captured, then
triggers errors on every path that handles the secret."""

from __future__ import annotations

import logging
import os
import secrets
import traceback
from pathlib import Path

import pytest

from mexc_futures import config as C
from mexc_futures import errors as E
from mexc_futures.protocol import signing as S

KEY = "mx0vglCANARYaccessKEY9"


def _everything_text(objs: list[object], exc: list[BaseException]) -> str:
    parts: list[str] = []
    for obj in objs:
        parts.extend((repr(obj), str(obj), f"{obj!r:>10}"))
    for err in exc:
        parts.append("".join(traceback.format_exception(err)))
        parts.append(repr(err))
        parts.extend(str(a) for a in err.args)
    return "\n".join(parts)


def test_canary_secret_never_leaks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "CANARY" + secrets.token_hex(16)
    monkeypatch.setattr(C, "_keyring_lookup", lambda name: None)
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)

    objs: list[object] = []
    raised: list[BaseException] = []

    def expect_error(fn: object, *args: object, **kwargs: object) -> None:
        try:
            fn(*args, **kwargs)  # type: ignore[operator]
        except Exception as err:  # collected for inspection
            raised.append(err)
        else:
            pytest.fail(f"{fn} did not raise")

    # credentials from the environment and from a 0600 .env
    environ = {"MEXC_API_KEY": KEY, "MEXC_API_SECRET": canary}
    creds = C.load_credentials(environ=environ)
    env_file = tmp_path / ".env"
    env_file.write_text(f"MEXC_API_KEY={KEY}\nMEXC_API_SECRET={canary}\n", encoding="utf-8")
    os.chmod(env_file, 0o600)
    creds_file = C.load_credentials(env_file, environ={})
    signer = creds.signer()
    objs += [creds, creds_file, signer, C.Environment.live(), C.Environment.local(port=1)]

    # signed requests
    query, sig_get = signer.sign_get(
        "1700000000000", {"symbol": "BTC_USDT", "order_ids": [1, 2], "x": None}
    )
    sig_post = signer.sign_post("1700000000000", b'{"symbol":"BTC_USDT","vol":1}')
    login = signer.ws_login("1700000000000")
    headers = signer.auth_headers("1700000000000", sig_get)
    logging.getLogger("mexc_futures.test").debug("GET %s sig=%s post=%s", query, sig_get, sig_post)
    objs += [query, sig_get, sig_post, login, headers]
    assert S.verify_post(signer, "1700000000000", b'{"symbol":"BTC_USDT","vol":1}', sig_post)

    # error paths that see the secret
    env_file.chmod(0o644)
    expect_error(C.load_credentials, env_file, environ={})
    bad_line = tmp_path / "bad.env"
    bad_line.write_text(f"MEXC_API_KEY={KEY}\n{canary}\n", encoding="utf-8")
    bad_line.chmod(0o600)
    expect_error(C.load_credentials, bad_line, environ={})
    expect_error(C.load_credentials, environ={"MEXC_API_SECRET": canary})
    expect_error(C.reject_cli_secrets, ["--api-secret", canary], environ={})
    expect_error(C.reject_cli_secrets, [f"--secret={canary}"], environ={})
    expect_error(C.reject_cli_secrets, ["run", canary], environ=environ)
    expect_error(C.Credentials, api_key="", secret=canary)
    expect_error(S.Signer, "", canary)
    expect_error(S.canonical_query, {"x": object()})
    expect_error(lambda: (_ for _ in ()).throw(E.error_from_code(602, "Signature failed")))
    raised.append(E.error_from_code(602, "bad", endpoint="/api/v1/private/order/create"))
    raised.append(
        E.error_from_http_status(500, "<html>", endpoint="/api/v1/private/account/assets")
    )

    text = _everything_text(objs, raised)
    logs = "\n".join([r.getMessage() for r in caplog.records] + [caplog.text])
    assert caplog.records, "expected DEBUG records to inspect"
    assert "mx0v" in logs  # the masked key is logged
    assert KEY not in logs  # only the masked form is ever logged
    for haystack in (text, logs):
        assert canary not in haystack
        assert canary[6:] not in haystack  # not even without the prefix
    assert len(raised) == 12

"""The package's public surface is pinned: adding or removing a name is a deliberate change."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mexc_futures

EXPECTED = {
    "ApiError",
    "Credentials",
    "Emulator",
    "Environment",
    "ExecutionManager",
    "MarketData",
    "MexcError",
    "PrivateStream",
    "RestClient",
    "Strategy",
    "decode_frame",
    "decode_response",
    "load_credentials",
    "speedups",
}


def test_all_is_pinned() -> None:
    assert set(mexc_futures.__all__) == EXPECTED
    assert set(mexc_futures._LAZY) == EXPECTED


def test_every_public_name_resolves() -> None:
    for name in EXPECTED:
        assert getattr(mexc_futures, name) is not None, name


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        mexc_futures.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_import_is_cheap() -> None:
    """``import mexc_futures`` must not pull in the network stack or the emulator."""
    code = (
        "import sys, mexc_futures; "
        "heavy = [m for m in ('aiohttp', 'picows', 'sqlite3', 'mexc_futures.emulator') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_every_error_derives_from_mexc_error() -> None:
    assert issubclass(mexc_futures.ApiError, mexc_futures.MexcError)

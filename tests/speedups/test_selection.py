"""Which depth path runs is decided once at import, and says so (#19, docs/speedups.md).

Each case runs in a fresh interpreter (the decision is made at import).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mexc_futures._speedups import hot

PROBE = """
import json, logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
{prelude}
import mexc_futures
from mexc_futures.model.book import OrderBook, PyOrderBook
from mexc_futures.config import Environment
from mexc_futures.marketdata import MarketData
from mexc_futures.protocol.session import Session
from mexc_futures.clock import SystemClock
from mexc_futures.transport.ws import WsConnection
md = MarketData(Environment(name="t", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9",
                            is_live=False))
conn = WsConnection(1, "ws://127.0.0.1:9", Session(), md, md._metrics.conn(1),
                    clock=SystemClock())
info = mexc_futures.speedups()
info["book"] = OrderBook.__module__ + "." + OrderBook.__name__
info["pure_book"] = OrderBook is PyOrderBook
info["listener"] = type(conn.make_listener()).__name__
print(json.dumps(info))
"""


def probe(prelude: str = "", **env: str) -> tuple[dict[str, object], str]:
    e = {k: v for k, v in os.environ.items() if k != "MEXC_FUTURES_PURE"}
    e.update(env)
    r = subprocess.run([sys.executable, "-c", PROBE.format(prelude=prelude)], env=e,
                       capture_output=True, text=True, timeout=60, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1]), r.stderr


def test_pure_is_forced_by_the_environment() -> None:
    info, _ = probe(MEXC_FUTURES_PURE="1")
    assert info["path"] == "pure"
    assert info["reason"] == "MEXC_FUTURES_PURE is set"
    assert info["pure_book"] is True
    assert info["listener"] == "_Listener"


@pytest.mark.skipif(hot is None, reason="compiled path not built / disabled")
def test_compiled_is_the_default_when_built() -> None:
    info, err = probe(MEXC_FUTURES_PURE="0")
    assert info["path"] == "compiled", info
    assert info["book"] == "mexc_futures._hot.Book"
    assert info["listener"] == "DepthListener"
    assert "pure-Python" not in err


def test_a_picows_of_another_minor_falls_back_with_one_warning() -> None:
    prelude = (
        "import importlib.metadata as md\n"
        "_v = md.version\n"
        "md.version = lambda name: '2.4.0' if name == 'picows' else _v(name)\n"
    )
    info, err = probe(prelude)
    assert info["path"] == "pure"
    assert "picows 2.4.0" in str(info["reason"])
    assert info["listener"] == "_Listener"
    assert err.count("pure-Python depth path") == 1, err


def test_a_missing_extension_means_pure() -> None:
    info, err = probe("import sys\nsys.modules['mexc_futures._hot'] = None\n")
    assert info["path"] == "pure"
    assert "not built" in str(info["reason"])
    assert info["pure_book"] is True
    assert err == ""

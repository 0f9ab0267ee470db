"""README command 1, headless: exits 0, places and fills orders, reconciles with the emulator."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.integration.cli.cli_support import NO_KEYRING


def test_headless_demo_places_fills_and_reconciles(tmp_path: Path) -> None:
    env = {
        "MEXC_FUTURES_HOME": str(tmp_path),
        "PYTHON_KEYRING_BACKEND": NO_KEYRING,
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "mexc_futures.cli", "demo", "--duration", "6", "--headless"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    placed = int(re.search(r"Orders placed:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    filled = int(re.search(r"Fills:\s+(\d+) on", out).group(1))  # type: ignore[union-attr]
    assert placed > 0
    assert filled > 0
    split = re.search(r"= (\d+) filled \+ (\d+) cancelled.* \+ (\d+) rejected \+ (\d+) open", out)
    assert split is not None
    assert sum(int(x) for x in split.groups()) == placed  # the counts add up (finding 20)
    assert re.search(r"PnL:\s+realised [+-]\d", out)
    assert "Reconciliation: MATCH" in out
    assert "open orders 0=0" in out  # the demo cancelled its quotes before exiting
    assert "Ground truth: MATCH" in out  # vs the in-process emulator's own state
    assert re.search(r"(\d+) externalOids, each on exactly one venue order", out)
    assert "Trading:          on" in out
    assert re.search(r"Tick→order p50:\s+place", out)
    assert re.search(r"REST RTT p50:\s+place", out)
    assert "Strategy errors:  none" in out


async def test_ground_truth_reconciliation_checks_every_external_oid(tmp_path: Path) -> None:
    from decimal import Decimal

    from mexc_futures.cli.reconcile import compare, oid_problems, truth_snapshot
    from mexc_futures.emulator.server.server import Emulator
    from mexc_futures.execution.journal import JournalOrder
    from mexc_futures.model.orders import OrderState
    from mexc_futures.transport.rest import RestClient

    def row(oid: str, order_id: str | None) -> JournalOrder:
        return JournalOrder(
            external_oid=oid,
            session_id="s",
            seq=1,
            symbol="BTC_USDT",
            side=1,
            kind=2,
            vol=Decimal(1),
            price=Decimal(1000),
            state=OrderState.OPEN,
            order_id=order_id,
            filled=Decimal(0),
            created_ms=0,
        )

    async with (
        Emulator(symbols=["BTC_USDT"]) as ex,
        RestClient(ex.env, ex.credentials) as rest,
    ):
        made = await rest.create_order(
            symbol="BTC_USDT",
            side=1,
            order_type=2,
            vol=Decimal(1),
            open_type=1,
            price=Decimal(1000) * 80,
            leverage=10,
            external_oid="oid-1",
        )
        oid = str(made.order_id)
        assert oid_problems(ex.venue, [row("oid-1", oid), row("never-sent", None)]) == (2, [])
        n, problems = oid_problems(ex.venue, [row("oid-1", "999"), row("lost", "123")])
        assert n == 2
        assert "venue order " + oid + ", journal says 999" in problems[0]
        assert "externalOid lost (order 123) is unknown" in problems[1]
        truth = truth_snapshot(ex.venue, ex.credentials.api_key, ["BTC_USDT"], 0)
        assert truth.open_orders == frozenset({oid})
        rec = compare(truth, truth, label="emulator's own state", title="Ground truth")
        assert rec.line.startswith("Ground truth: MATCH — local view equals the emulator's")
        bad = compare(truth, truth, title="Ground truth", extra=problems)
        assert not bad.ok
        assert "Ground truth: MISMATCH" in bad.line

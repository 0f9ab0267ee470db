"""Canary secret: a full trading session with a random secret; the secret appears in no log line
(any logger, DEBUG), no journal row, no journal file byte, no alert, repr or error text
(reliability "Security"; spec §3)."""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.emulator.server.faults import Http404, Http500
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.errors import MexcError
from mexc_futures.execution.alerts import LogAlert, MultiAlert, RecordingAlert
from mexc_futures.marketdata.facade import PrivateStream
from mexc_futures.model.intents import AmendOrder, CancelAll, CancelOrder
from mexc_futures.model.killswitch import KillSwitchConfig
from tests.integration.execution.exec_helpers import SYMBOL, crossing, manager, resting

pytestmark = pytest.mark.timeout(30)


async def test_canary_secret_never_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "CANARY" + secrets.token_hex(16)
    caplog.set_level(logging.DEBUG)
    journal = tmp_path / "j.db"
    texts: list[str] = []
    rec = RecordingAlert()
    async with Emulator(
        # pragma: allowlist nextline secret - a dummy test key, not a credential
        seed=3, symbols=[SYMBOL], api_key="mx0vglCANARYKEY", api_secret=canary
    ) as ex:
        kill = KillSwitchConfig(not_found_limit=2)
        async with (
            manager(ex, journal, alerts=MultiAlert(LogAlert(), rec), kill=kill) as em,
            PrivateStream(ex.env, ex.credentials, ["order", "order.deal"], [SYMBOL]) as ps,
        ):
            ps.on(em.on_account_event)
            order = await em.submit(await resting(em))
            assert order is not None
            assert order.order_id is not None
            await em.submit(
                AmendOrder(
                    symbol=SYMBOL,
                    order_id=order.order_id,
                    price=order.price - 1 if order.price else Decimal(1),
                    vol=Decimal(2),
                )
            )
            await em.submit(CancelOrder(symbol=SYMBOL, external_oid=order.external_oid))
            await em.submit(await crossing(em))
            ex.faults.add(Http500(after_accept=True, endpoints=("create",), count=1))
            await em.submit(await resting(em))
            await em.submit(CancelAll(symbol=SYMBOL))
            fid = ex.faults.add(Http404(endpoints=("orders",)))
            for _ in range(2):
                try:
                    await em.submit(await resting(em))
                except MexcError as e:
                    texts.append(str(e))
            ex.faults.clear(fid)
            await em.trip("operator", "canary test")
            try:
                await em.submit(await resting(em))
            except MexcError as e:
                texts.append(str(e))
            em.reset()
            await em.reconcile()
            texts += [repr(em.rest), repr(ex.credentials), repr(em.capabilities)]
            assert em.rest.lane is not None
            assert em.rest.lane.sent > 0  # the order lane logged too
            assert em.journal is not None
            dump = em.journal.dump()
    texts += [r.getMessage() for r in caplog.records]
    texts += [f"{t} {d}" for t, d in rec.sent]
    texts += dump
    assert rec.sent, "the session must have alerted"
    assert len(caplog.records) > 20, "the session must have logged"
    assert any("orders" in line for line in dump)
    assert any("via lane" in r.getMessage() for r in caplog.records)  # order-lane lines covered
    for text in texts:
        assert canary not in text
    _no_canary_in_files(tmp_path, canary)


def _no_canary_in_files(directory: Path, canary: str) -> None:
    for f in directory.iterdir():  # journal, WAL and shm files
        assert canary.encode() not in f.read_bytes(), f

"""Alerts: log, webhook (to a loopback receiver), multi; texts escaped."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web

from mexc_futures.execution.alerts import LogAlert, MultiAlert, RecordingAlert, WebhookAlert

GOT = web.AppKey("got", list)


async def test_webhook_and_multi(caplog: pytest.LogCaptureFixture) -> None:
    app = web.Application()
    app[GOT] = []

    async def hook(request: web.Request) -> web.Response:
        request.app[GOT].append(await request.json())
        return web.Response(status=204)

    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec = RecordingAlert()
    caplog.set_level(logging.CRITICAL, "mexc_futures.alerts")
    try:
        hook_alert = WebhookAlert(f"http://127.0.0.1:{port}/hook", timeout=2)
        await MultiAlert(LogAlert(), hook_alert, rec).send("tripped", "venue said \x1b[2Jno")
    finally:
        await runner.cleanup()
    assert app[GOT][0]["title"] == "tripped"
    assert "\x1b" not in app[GOT][0]["detail"]
    assert rec.sent == [("tripped", "venue said \x1b[2Jno")]
    assert "ALERT tripped" in caplog.text
    assert "\x1b" not in caplog.text


async def test_webhook_failure_is_logged_not_raised() -> None:
    hook = WebhookAlert("http://127.0.0.1:9/none", timeout=0.5)
    await hook.send("t", "d")
    assert hook.failures == 1


def test_webhook_requires_tls_off_loopback() -> None:
    with pytest.raises(ValueError):
        WebhookAlert("http://example.com/hook")

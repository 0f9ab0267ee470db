"""Alerts: a small pluggable interface (reliability I8: "one alert" when the kill switch trips).

``Alert`` is a protocol with one coroutine, ``send(title, detail)``. Implementations:

* ``LogAlert`` — a ``logging`` record at CRITICAL (always on);
* ``WebhookAlert`` — an aiohttp JSON POST ``{"title", "detail", "source"}`` to a configured URL,
  with a short timeout; failures are logged, never raised (an alert must not crash cleanup);
* ``MultiAlert`` — fan-out to several;
* ``RecordingAlert`` — keeps what it was sent (tests, dashboards).

Texts are escaped before they reach a log line or a webhook (they may quote venue strings).
"""

from __future__ import annotations

import logging
from typing import Protocol

import aiohttp

from mexc_futures.errors import escape_exchange_text

log = logging.getLogger("mexc_futures.alerts")


class Alert(Protocol):
    """Something that tells a person."""

    async def send(self, title: str, detail: str) -> None:
        """Deliver one alert; must not raise."""
        ...


class LogAlert:
    """CRITICAL log record on ``mexc_futures.alerts``."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log

    async def send(self, title: str, detail: str) -> None:
        self._log.critical(
            "ALERT %s: %s", escape_exchange_text(title, 200), escape_exchange_text(detail, 1000)
        )


class WebhookAlert:
    """POST a JSON alert to ``url`` (e.g. a chat webhook); only built when a URL is configured."""

    def __init__(self, url: str, *, timeout: float = 5.0, source: str = "mexc-futures") -> None:
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("webhook URL must be https:// (plain http only for loopback)")
        self.url = url
        self.timeout = timeout
        self.source = source
        self.failures = 0

    async def send(self, title: str, detail: str) -> None:
        payload = {
            "title": escape_exchange_text(title, 200),
            "detail": escape_exchange_text(detail, 1000),
            "source": self.source,
        }
        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.url, json=payload) as resp,
            ):
                if resp.status >= 300:
                    self.failures += 1
                    log.error("alert webhook answered HTTP %d", resp.status)
        except (aiohttp.ClientError, TimeoutError) as e:
            self.failures += 1
            log.error("alert webhook failed: %s", type(e).__name__)


class MultiAlert:
    """Send to every member; one failing member does not stop the others."""

    def __init__(self, *alerts: Alert) -> None:
        self.alerts = alerts

    async def send(self, title: str, detail: str) -> None:
        for a in self.alerts:
            await a.send(title, detail)


class RecordingAlert:
    """Keeps ``(title, detail)`` pairs in ``sent``."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, title: str, detail: str) -> None:
        self.sent.append((title, detail))


__all__ = ["Alert", "LogAlert", "MultiAlert", "RecordingAlert", "WebhookAlert"]

"""A loopback HTTP/1.1 proxy that replaces chosen answers (adapted from the reliability audit's
``attacks/proxy.py``): reliability D12 and fidelity rows 3–4 need 2xx bodies the emulator never
sends (garbled, deeply nested, ``data:null``).

``Proxy(upstream_port)``; ``set(mode, match, body, count)`` applies to the next ``count``
requests whose head contains ``match``: ``garble`` forwards the request (the venue acts) and
answers ``body`` instead; ``garble_drop`` answers ``body`` without forwarding (the venue never
saw it). Everything else is forwarded unchanged. Loopback only; stopped by ``stop()``.
"""

from __future__ import annotations

import asyncio
import contextlib


def http_200(body: bytes) -> bytes:
    """A complete HTTP/1.1 200 answer around ``body``."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


NESTED = b'{"a":' * 20000 + b"1" + b"}" * 20000


class Proxy:
    """See the module docstring."""

    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.up = (host, upstream_port)
        self.host = host
        self.port = 0
        self.rules: list[list[object]] = []  # [mode, match, body, count left]
        self.hits = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def set(self, mode: str, match: bytes, body: bytes, count: int = 1) -> None:
        """Add a rule (rules are tried in the order they were added)."""
        self.rules.append([mode, match, body, count])

    def _take(self, head: bytes) -> tuple[str, bytes]:
        for rule in self.rules:
            mode, match, body, left = rule
            assert isinstance(match, bytes)
            assert isinstance(left, int)
            if left > 0 and match in head:
                rule[3] = left - 1
                self.hits += 1
                return str(mode), bytes(body)  # type: ignore[call-overload]
        return "pass", b""

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> bytes | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return None
        n = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                n = int(line.split(b":", 1)[1])
        return head + (await reader.readexactly(n) if n else b"")

    async def _client(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        ur, uw = await asyncio.open_connection(*self.up)
        try:
            while (req := await self._read(cr)) is not None:
                mode, body = self._take(req.split(b"\r\n\r\n", 1)[0])
                if mode == "garble_drop":
                    cw.write(http_200(body))
                    await cw.drain()
                    continue
                uw.write(req)
                await uw.drain()
                resp = await self._read(ur)
                if resp is None:
                    break
                cw.write(http_200(body) if mode == "garble" else resp)
                await cw.drain()
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            uw.close()
            with contextlib.suppress(Exception):
                cw.close()

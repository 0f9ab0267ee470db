"""Token-protected HTTP control interface under ``/_emulator/`` (reliability.md "Security").

Every route needs ``X-Emulator-Token: <token>`` (or ``Authorization: Bearer <token>``); a wrong
or missing token gets HTTP 401. Bodies and answers are JSON.

| method & path | what |
|---|---|
| GET  /_emulator/state | time, speed, ports, connection count, active faults |
| GET  /_emulator/faults | active faults ``{id: fault}`` |
| POST /_emulator/faults | add a fault, e.g. ``{"fault":"stall","conn":3}`` -> ``{"id":n}`` |
| DELETE /_emulator/faults[/{id}] | clear one fault or all |
| POST /_emulator/advance | ``{"ms": N}``: jump venue time forward and tick |
| GET  /_emulator/connections | per connection: subscriptions, frames received/sent, close code |
| GET  /_emulator/connections/{id}/frames | frames the client sent, with venue ms |
| GET  /_emulator/pushed/{symbol}?conn=N | ``(begin, end)`` of depth frames pushed |
| GET  /_emulator/rest_calls | the REST call log (ms, endpoint, caller, code, status) |
| GET  /_emulator/truth/orders?externalOid=X | venue truth: orders (by externalOid) |
| GET  /_emulator/truth/deals?symbol=S | venue truth: deals |
| GET  /_emulator/truth/book/{symbol}?version=V | venue truth: the book at a recent version |
| POST /_emulator/account/reset | ``{"apiKey": K}`` (default: the emulator's key): fresh account |
| POST /_emulator/account/balance | ``{"apiKey": K, "currency": "USDT", "amount": "2500"}`` |
| POST /_emulator/market/price | ``{"symbol": S, "price": P}``: move the fair value there |
| POST /_emulator/market/shock | ``{"symbol": S, "move": -0.05, "pull": 0.8, "durationMs": N}`` |
| POST /_emulator/market/pause | ``{"symbol": S}`` (default every symbol): freeze the market |
| POST /_emulator/market/resume | ``{"symbol": S}`` (default every symbol): resume it |
| POST /_emulator/burst | ``{"symbol":S,"frames":N,"levels":5}``: benchmark burst |
| POST /_emulator/paced | ``{"symbols":[S],"frames":N,"rate":R,"levels":5,"mix":[1,0,0],
  "bestBid":false}``: benchmark pace; answers per-frame send stamps (CLOCK_MONOTONIC ns) |

Bad input (invalid JSON, missing or mistyped fields, unknown symbol or key) answers HTTP 400
with ``{"error": ...}`` — never 500 (reliability D11). The ``truth/*`` routes forward to
``venue.truth`` methods named ``orders``, ``deals`` and ``book``; answers are JSON.
"""

from __future__ import annotations

import dataclasses
import hmac
import math
from collections.abc import Sequence
from typing import Any, Protocol

import msgspec
from aiohttp import web

from mexc_futures.emulator.server.benchmode import BurstResult, PacedResult
from mexc_futures.emulator.server.clock import EmulatorClock
from mexc_futures.emulator.server.faults import Faults, decode_fault
from mexc_futures.emulator.server.link import Link
from mexc_futures.emulator.server.rest_app import RestApp
from mexc_futures.emulator.venue.codes import VenueError


class ControlHost(Protocol):
    """What the control routes need of the server (``Emulator`` is one); a protocol so that this
    module does not import ``server`` (which imports it)."""

    @property
    def control_token(self) -> str: ...

    @property
    def faults(self) -> Faults: ...

    @property
    def clock(self) -> EmulatorClock: ...

    @property
    def rest(self) -> RestApp: ...

    @property
    def truth(self) -> Any: ...

    @property
    def speed(self) -> float: ...

    @property
    def rest_url(self) -> str: ...

    @property
    def ws_url(self) -> str: ...

    @property
    def links(self) -> dict[int, Link]: ...

    @property
    def venue(self) -> Any: ...
    @property
    def credentials(self) -> Any: ...
    def tick_once_unlocked(self) -> None: ...
    def advance(self, ms: int) -> None: ...

    def connections(self) -> list[dict[str, Any]]: ...

    def frames_received(self, conn: int) -> list[tuple[int, str]]: ...

    def pushed_versions(self, symbol: str, conn: int | None = None) -> list[tuple[int, int]]: ...

    async def burst_depth(
        self, symbol: str, frames: int, *, levels: int = 5, chunk: int = 4096
    ) -> BurstResult: ...

    async def paced_depth(
        self,
        symbols: str | Sequence[str],
        frames: int,
        rate: float,
        *,
        levels: int = 5,
        mix: tuple[float, float, float] = (1.0, 0.0, 0.0),
        record_best_bid: bool = False,
        seed: int = 0,
    ) -> PacedResult: ...

_encode = msgspec.json.Encoder(decimal_format="number").encode
PREFIX = "/_emulator"


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encode(data), status=status, content_type="application/json")


def _authorised(request: web.Request, token: str) -> bool:
    given = request.headers.get("X-Emulator-Token", "")
    bearer = request.headers.get("Authorization", "")
    if bearer.startswith("Bearer "):
        given = given or bearer[7:]
    return hmac.compare_digest(given.encode(), token.encode())


def _finite(value: Any, name: str) -> float:
    """A finite number from a JSON number or numeric string, else ``ValueError`` (→ 400)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite")
    return f


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return obj


class Control:
    """Handlers bound to one ``Emulator``."""

    def __init__(self, emulator: ControlHost) -> None:
        self.ex = emulator

    @web.middleware
    async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith(PREFIX + "/") and not _authorised(
            request, self.ex.control_token
        ):
            return _json({"error": "missing or wrong control token"}, 401)
        try:
            response: web.StreamResponse = await handler(request)
        except (msgspec.DecodeError, ValueError, TypeError, KeyError, RecursionError) as exc:
            return _json({"error": f"bad request: {exc}"}, 400)
        except VenueError as exc:
            return _json({"error": exc.message, "code": exc.code}, 400)
        return response

    async def state(self, _request: web.Request) -> web.Response:
        ex = self.ex
        return _json(
            {
                "timeMs": ex.clock.time_ms(),
                "speed": ex.speed,
                "restUrl": ex.rest_url,
                "wsUrl": ex.ws_url,
                "connections": len(ex.links),
                "faults": {str(k): v for k, v in ex.faults.active().items()},
            }
        )

    async def list_faults(self, _request: web.Request) -> web.Response:
        return _json({str(k): v for k, v in self.ex.faults.active().items()})

    async def add_fault(self, request: web.Request) -> web.Response:
        try:
            fault = decode_fault(await request.read())
        except msgspec.ValidationError as exc:
            return _json({"error": str(exc)}, 400)
        except msgspec.DecodeError as exc:
            return _json({"error": f"invalid JSON: {exc}"}, 400)
        return _json({"id": self.ex.faults.add(fault)})

    async def clear_faults(self, request: web.Request) -> web.Response:
        fid = request.match_info.get("fid")
        self.ex.faults.clear(int(fid) if fid else None)
        return _json({"cleared": fid or "all"})

    async def advance(self, request: web.Request) -> web.Response:
        body = msgspec.json.decode(await request.read() or b"{}")
        ms = int(body.get("ms", 0)) if isinstance(body, dict) else 0
        if ms < 0:
            return _json({"error": "ms must be >= 0"}, 400)
        self.ex.advance(ms)
        return _json({"timeMs": self.ex.clock.time_ms()})

    # -- tester controls (issue #14) ---------------------------------------------------------
    async def _obj(self, request: web.Request) -> dict[str, Any]:
        body = msgspec.json.decode(await request.read() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    def _key(self, body: dict[str, Any]) -> str:
        key = body.get("apiKey") or self.ex.credentials.api_key
        if not isinstance(key, str):
            raise TypeError("apiKey must be a string")
        return key

    async def reset_account(self, request: web.Request) -> web.Response:
        key = self._key(await self._obj(request))
        self.ex.venue.reset_account(key)
        self.ex.tick_once_unlocked()
        return _json({"apiKey": key, "reset": True})

    async def set_balance(self, request: web.Request) -> web.Response:
        body = await self._obj(request)
        key = self._key(body)
        amount = _finite(body.get("amount"), "amount")
        if amount < 0:
            raise ValueError("amount must be >= 0")
        currency = str(body.get("currency") or "USDT")
        self.ex.venue.set_balance(key, currency, str(body["amount"]))
        self.ex.tick_once_unlocked()
        return _json({"apiKey": key, "currency": currency.upper(), "amount": body["amount"]})

    async def move_price(self, request: web.Request) -> web.Response:
        body = await self._obj(request)
        self.ex.venue.move_price(str(body["symbol"]), _finite(body.get("price"), "price"))
        self.ex.tick_once_unlocked()
        return _json({"symbol": body["symbol"], "price": body["price"]})

    async def shock(self, request: web.Request) -> web.Response:
        body = await self._obj(request)
        move = _finite(body.get("move", 0.0), "move")
        pull = _finite(body.get("pull", 0.0), "pull")
        duration = int(_finite(body.get("durationMs", 60_000), "durationMs"))
        if not 0 <= pull <= 1 or duration < 0:
            raise ValueError("pull must be in [0, 1] and durationMs >= 0")
        self.ex.venue.shock(str(body["symbol"]), move, pull, duration)
        self.ex.tick_once_unlocked()
        return _json({"symbol": body["symbol"], "move": move, "pull": pull,
                      "durationMs": duration})

    async def pause(self, request: web.Request) -> web.Response:
        return await self._pause(request, True)

    async def resume(self, request: web.Request) -> web.Response:
        return await self._pause(request, False)

    async def _pause(self, request: web.Request, paused: bool) -> web.Response:
        body = await self._obj(request)
        symbol = body.get("symbol")
        names = self.ex.venue.pause(str(symbol) if symbol else None, paused)
        return _json({"paused": paused, "symbols": len(names)})

    async def connections(self, _request: web.Request) -> web.Response:
        return _json(self.ex.connections())

    async def frames(self, request: web.Request) -> web.Response:
        conn = int(request.match_info["cid"])
        rows = [{"ts": ts, "frame": text} for ts, text in self.ex.frames_received(conn)]
        return _json(rows)

    async def pushed(self, request: web.Request) -> web.Response:
        conn = request.query.get("conn")
        versions = self.ex.pushed_versions(
            request.match_info["symbol"], int(conn) if conn else None
        )
        return _json([list(v) for v in versions])

    async def rest_calls(self, _request: web.Request) -> web.Response:
        return _json([dataclasses.asdict(c) for c in self.ex.rest.calls])

    async def truth(self, request: web.Request) -> web.Response:
        return self._truth(request.match_info["what"], request)

    async def truth_book(self, request: web.Request) -> web.Response:
        return self._truth("book", request)

    def _truth(self, what: str, request: web.Request) -> web.Response:
        fn = getattr(self.ex.truth, what, None)
        if what not in ("orders", "deals", "book") or not callable(fn):
            return _json({"error": f"unknown truth query {what!r}"}, 404)
        kwargs: dict[str, Any] = dict(request.query)
        if "symbol" in request.match_info:
            kwargs["symbol"] = request.match_info["symbol"]
        if "version" in kwargs:
            kwargs["version"] = int(kwargs["version"])
        try:
            return _json(_plain(fn(**kwargs)))
        except (TypeError, KeyError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)

    async def burst(self, request: web.Request) -> web.Response:
        body = msgspec.json.decode(await request.read())
        r = await self.ex.burst_depth(
            str(body["symbol"]), int(body["frames"]), levels=int(body.get("levels", 5))
        )
        return _json(
            {
                "symbol": r.symbol,
                "frames": r.frames,
                "firstVersion": r.first_version,
                "lastVersion": r.last_version,
                "receivers": r.receivers,
                "generateS": r.generate_s,
                "sendS": r.send_s,
                "waitS": r.wait_s,
                "firstSendNs": r.first_send_ns,
                "lastSendNs": r.last_send_ns,
                "capacityFps": r.capacity_fps,
            }
        )

    async def paced(self, request: web.Request) -> web.Response:
        body = msgspec.json.decode(await request.read())
        try:
            syms = body.get("symbols") or [body["symbol"]]
            mix = tuple(float(x) for x in body.get("mix", (1.0, 0.0, 0.0)))
            r = await self.ex.paced_depth(
                [str(s) for s in syms], int(body["frames"]), float(body["rate"]),
                levels=int(body.get("levels", 5)), mix=(mix[0], mix[1], mix[2]),
                record_best_bid=bool(body.get("bestBid", False)),
            )
        except (KeyError, ValueError, IndexError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json(
            {
                "symbols": list(r.symbols),
                "rate": r.rate,
                "frames": r.frames,
                "sendNs": r.send_ns,
                "kinds": r.kinds,
                "symbolIndex": r.sym_index,
                "versions": r.versions,
                "bestBid": r.best_bid,
                "lastVersions": r.last_versions,
                "receivers": r.receivers,
                "achievedRate": r.achieved_rate,
                "capacityFps": r.capacity_fps,
                "maxLagUs": r.max_lag_us,
                "lateFrames": r.late_frames,
                "limited": r.limited,
            }
        )


def add_control_routes(app: web.Application, emulator: ControlHost) -> None:
    """Mount ``/_emulator/...`` on ``app`` (with the token guard)."""
    c = Control(emulator)
    app.middlewares.append(c.guard)
    r = app.router
    r.add_get(PREFIX + "/state", c.state)
    r.add_get(PREFIX + "/faults", c.list_faults)
    r.add_post(PREFIX + "/faults", c.add_fault)
    r.add_delete(PREFIX + "/faults", c.clear_faults)
    r.add_delete(PREFIX + "/faults/{fid}", c.clear_faults)
    r.add_post(PREFIX + "/advance", c.advance)
    r.add_get(PREFIX + "/connections", c.connections)
    r.add_get(PREFIX + "/connections/{cid}/frames", c.frames)
    r.add_get(PREFIX + "/pushed/{symbol}", c.pushed)
    r.add_get(PREFIX + "/rest_calls", c.rest_calls)
    r.add_get(PREFIX + "/truth/book/{symbol}", c.truth_book)
    r.add_get(PREFIX + "/truth/{what}", c.truth)
    r.add_post(PREFIX + "/account/reset", c.reset_account)
    r.add_post(PREFIX + "/account/balance", c.set_balance)
    r.add_post(PREFIX + "/market/price", c.move_price)
    r.add_post(PREFIX + "/market/shock", c.shock)
    r.add_post(PREFIX + "/market/pause", c.pause)
    r.add_post(PREFIX + "/market/resume", c.resume)
    r.add_post(PREFIX + "/burst", c.burst)
    r.add_post(PREFIX + "/paced", c.paced)


__all__ = ["PREFIX", "Control", "add_control_routes"]

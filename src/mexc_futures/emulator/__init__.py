"""A local MEXC Futures exchange (the "emulator"): the backbone of every test and the demo.

Three rooms, one job each:

* ``venue/`` — the exchange's rules, sans-I/O: orders, matching, fills, accounts, margin,
  liquidation, triggers, and the per-endpoint REST semantics (``handlers_*``) that ``Venue.handle``
  dispatches to. No sockets, no clock: time comes in as ``now_ms``.
* ``market/`` — what drives prices and depth: the synthetic market, kline series and the depth
  publication schedule (a recorded market can sit beside it later).
* ``server/`` — the network shell: aiohttp REST app, WebSocket sessions, fan-out, limits, auth,
  faults, the control API, the clock and the benchmark modes.

Entry point: ``from mexc_futures.emulator.server import Emulator``.

Floors: the emulator imports only ``protocol``, ``model``, ``errors``, ``config``, ``clock`` and
itself — never ``marketdata``, ``execution``, ``transport``, ``strategy`` or ``cli`` — and
``venue/`` and ``market/`` never import ``server/`` (checked by ``tests/unit/test_layout.py``).
"""

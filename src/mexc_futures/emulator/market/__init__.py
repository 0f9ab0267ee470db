"""What drives prices and depth in the emulator.

* ``market`` — the synthetic market per symbol: fair/index price walk, maker and taker flow.
* ``klines`` — kline series for every interval and price kind (spec §4.4, §7.5).
* ``depth_feed`` — when and in which shape book changes are published (``depth``,
  ``depth.merged``, ``depth.full``; spec §7.5, §8).

Why a room of its own: the venue's rules (``emulator.venue``) must not care whether prices come
from a random walk or, later, from a recorded session; this is where another driver goes.
Never imports ``emulator.server``.
"""

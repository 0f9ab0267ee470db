"""Record the market, replay it through the client's own stack (issue #17).

* ``format``: the line format and manifest (pure);
* ``writer``: ``Recorder`` (capture on the receive path, zstd writer thread, rotation);
* ``reader``: segments back, tolerant of a truncated tail;
* ``session``: ``record()``, the unchanged ``MarketData`` with a frame tap;
* ``replay``: ``replay()``, recorded frames through decoder, book sync and router;
* ``info``: ``record info`` (coverage, gaps, rates, sizes);
* ``compact`` / ``parquet``: ``record compact`` (Parquet per stream and day) and reading it back.

See docs/recording.md.
"""

from __future__ import annotations

from mexc_futures.recording.format import Line, Manifest
from mexc_futures.recording.reader import iter_lines, load_manifest

__all__ = ["Line", "Manifest", "iter_lines", "load_manifest"]

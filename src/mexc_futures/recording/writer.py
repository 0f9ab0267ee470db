"""The recorder: capture on the receive path, compress and write on a thread (design §1.4).

The client's thread only appends ``(recv_ns, conn, kind, bytes)`` to a deque (measured: see
``benchmarks/bench_recording.py``); a writer thread drains the deque every ``drain_s``, encodes
lines (``format.encode_line``), feeds one zstd frame per segment and flushes a zstd *block* every
``flush_s`` seconds: every complete block is decodable without the frame's end, so a process
killed with ``kill -9`` loses at most ``flush_s + drain_s`` = 1 s of data (acceptance A3), a host
crash at most ``fsync_s`` (the file is fsynced that often). Segments rotate when the UTC hour
changes (or every ``rotate_s``), each closed as a complete zstd frame, its sha256 in the
manifest.

Secrets: sent frames pass ``format.redact_tx``; login and filter frames are written as a marker
only, so no key, signature or secret reaches disk (A5). Private segments are created ``0600``.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zstandard

from mexc_futures.recording import format as fmt
from mexc_futures.recording.format import Manifest, SegmentInfo

log = logging.getLogger(__name__)

NowNs = Callable[[], int]
Entry = tuple[int, int, bytes, bytes]


class SegmentSet:
    """Segments of one set (``segments`` or ``private``): the open zstd frame and closed infos."""

    def __init__(self, root: Path, name: str, level: int, private: bool) -> None:
        self.dir = root / name
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o755)
        self.name = name
        self.private = private
        self.level = level
        self.closed: list[SegmentInfo] = []
        self.current: SegmentInfo | None = None
        self._fd: int | None = None
        self._z: Any = None
        self._sha = hashlib.sha256()
        self._index = 0
        self.hour = -1
        self.opened_ns = 0
        self.frames = 0
        self.raw_bytes = 0

    def open(self, first_ns: int) -> None:
        name = fmt.segment_name(first_ns, self._index)
        self._index += 1
        path = self.dir / name
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(path, flags, 0o600 if self.private else 0o644)
        self._z = zstandard.ZstdCompressor(level=self.level, write_checksum=True).compressobj()
        self._sha = hashlib.sha256()
        self.current = SegmentInfo(name=name, set=self.name, first_ns=first_ns, last_ns=first_ns)
        self.hour = first_ns // 3_600_000_000_000
        self.opened_ns = first_ns

    def _out(self, data: bytes) -> None:
        if data:
            assert self._fd is not None  # nosec B101  # type narrowing
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
            self._sha.update(data)
            assert self.current is not None  # nosec B101  # type narrowing
            self.current.bytes += len(data)

    def write(self, lines: bytes, n: int, last_ns: int) -> None:
        assert self.current is not None  # nosec B101  # type narrowing
        self._out(self._z.compress(lines))
        cur = self.current
        cur.frames += n
        cur.raw_bytes += len(lines)
        cur.last_ns = max(cur.last_ns, last_ns)
        self.frames += n
        self.raw_bytes += len(lines)

    def flush_block(self) -> None:
        if self._z is not None:
            self._out(self._z.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))

    def fsync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is None or self.current is None:
            return
        self._out(self._z.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH))
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        self.current.sha256 = self._sha.hexdigest()
        self.current.complete = True
        self.closed.append(self.current)
        self.current = None

    def infos(self) -> list[SegmentInfo]:
        return [*self.closed, *([self.current] if self.current is not None else [])]


class Recorder:
    """Capture side (``rx``/``tx``/``event``, any thread) and writer thread (``start``/``stop``)."""

    def __init__(
        self,
        out: Path,
        manifest: Manifest,
        *,
        now_ns: NowNs = time.time_ns,
        level: int = 3,
        drain_s: float = 0.1,
        flush_s: float = 0.9,
        fsync_s: float = 10.0,
        rotate_s: float | None = None,
    ) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        if (self.out / "manifest.json").exists():
            raise FileExistsError(f"{self.out} already holds a recording; pick a new --out")
        self.manifest = manifest
        manifest.zstd_level = level
        self.now_ns = now_ns
        self.drain_s, self.flush_s, self.fsync_s = drain_s, flush_s, fsync_s
        self.rotate_ns = int(rotate_s * 1e9) if rotate_s else None
        self._sets = {"segments": SegmentSet(self.out, "segments", level, private=False)}
        if manifest.private:
            self._sets["private"] = SegmentSet(self.out, "private", level, private=True)
        self._queues: dict[str, collections.deque[Entry]] = {
            k: collections.deque() for k in self._sets
        }
        self._pub = self._queues["segments"]
        self._priv = self._queues.get("private")
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.error: BaseException | None = None
        self.captured = 0

    # ---------------------------------------------------------------- capture (client thread)

    def rx(self, conn: int, raw: memoryview | bytes) -> None:
        """An inbound frame on a public connection, exactly as received."""
        self._pub.append((self.now_ns(), conn, fmt.WS, bytes(raw)))

    def rx_private(self, conn: int, raw: memoryview | bytes) -> None:
        """An inbound frame on the private (account) connection."""
        assert self._priv is not None  # nosec B101  # only taps built with private=True call it
        self._priv.append((self.now_ns(), conn, fmt.WS, bytes(raw)))

    def tx(self, conn: int, data: bytes, *, login: bool = False, filter_: bool = False,
           private: bool = False) -> None:
        """A frame we sent (redacted when it is a login or filter)."""
        q = self._priv if private and self._priv is not None else self._pub
        q.append((self.now_ns(), conn, fmt.TX, fmt.redact_tx(data, login=login, filter_=filter_)))

    def event(self, kind: bytes, conn: int, payload: bytes, *, private: bool = False) -> None:
        """Any other line (``open``/``close``/``rest``/``book``/``mark``)."""
        q = self._priv if private and self._priv is not None else self._pub
        q.append((self.now_ns(), conn, kind, payload))

    # ---------------------------------------------------------------- writer thread

    def start(self) -> None:
        """Write the manifest and start the writer thread."""
        self.manifest.start_ns = self.now_ns()
        self._write_manifest()
        self._thread = threading.Thread(target=self._run, name="mexc-recorder", daemon=True)
        self._thread.start()

    def stop(self, reason: str = "stopped") -> Manifest:
        """Drain everything, close the segments as complete frames, finish the manifest."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60.0)
            self._thread = None
        with self._lock:
            self._drain_all()
            for s in self._sets.values():
                s.close()
            self.manifest.end_ns = self.now_ns()
            self.manifest.stopped = reason
            self._write_manifest()
        return self.manifest

    def flush_now(self) -> None:
        """Drain the queue and flush a zstd block now (the writer thread does it every
        ``flush_s``); after it, everything captured so far is readable from disk."""
        with self._lock:
            self._drain_all()
            for s in self._sets.values():
                s.flush_block()

    @property
    def pending(self) -> int:
        """Captured lines not yet handed to the compressor."""
        return sum(len(q) for q in self._queues.values())

    def stats(self) -> tuple[int, int, int]:
        """``(lines written, raw bytes, compressed bytes)`` over every set so far."""
        with self._lock:
            infos = [i for s in self._sets.values() for i in s.infos()]
        return (sum(i.frames for i in infos), sum(i.raw_bytes for i in infos),
                sum(i.bytes for i in infos))

    def _run(self) -> None:
        last_flush = last_sync = time.monotonic()
        try:
            while not self._stop.wait(self.drain_s):
                with self._lock:
                    self._drain_all()
                    now = time.monotonic()
                    if now - last_flush >= self.flush_s:
                        for s in self._sets.values():
                            s.flush_block()
                        last_flush = now
                    if now - last_sync >= self.fsync_s:
                        for s in self._sets.values():
                            s.fsync()
                        last_sync = now
        except BaseException as exc:  # disk full, permissions: the CLI reports and stops
            self.error = exc
            log.exception("recorder: writing failed")

    def _drain_all(self) -> None:
        for key, q in self._queues.items():
            n = len(q)
            if n:
                self._write(self._sets[key], q, n)

    def _write(self, seg: SegmentSet, q: collections.deque[Entry], n: int) -> None:
        enc = fmt.encode_line
        popleft = q.popleft
        ws = fmt.WS
        buf: list[bytes] = []
        append = buf.append
        count = 0
        last = 0
        rotate_at = self._rotate_at(seg)
        for _ in range(n):
            ns, conn, kind, payload = popleft()
            if ns >= rotate_at:  # the first line, or time for the next segment
                if buf:
                    seg.write(b"".join(buf), count, last)
                    buf.clear()
                    count = 0
                seg.close()
                seg.open(ns)
                self._write_manifest()
                rotate_at = self._rotate_at(seg)
            if kind is ws and b"\t" not in payload and b"\n" not in payload \
                    and b"\r" not in payload:
                append(b"%d\t%d\tws\t%s\n" % (ns, conn, payload))  # encode_line, inlined
            else:
                append(enc(ns, conn, kind, payload))
            count += 1
            last = ns
        if buf:
            seg.write(b"".join(buf), count, last)
        self.captured += n

    def _rotate_at(self, seg: SegmentSet) -> int:
        """Receive time (ns) from which a line goes to a new segment (``-1``: none open yet)."""
        if seg.current is None:
            return -1
        if self.rotate_ns is not None:
            return seg.opened_ns + self.rotate_ns
        return (seg.hour + 1) * 3_600_000_000_000

    def _write_manifest(self) -> None:
        self.manifest.segments = [i for s in self._sets.values() for i in s.infos()]
        path = self.out / "manifest.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_bytes(fmt.encode_manifest(self.manifest))
        os.replace(tmp, path)


class FrameTap:
    """What a connection calls on the receive and send paths (``transport.ws.ConnHooks``)."""

    __slots__ = ("_private", "_rec", "rx")

    def __init__(self, rec: Recorder, *, private: bool = False) -> None:
        self._rec = rec
        self._private = private
        self.rx: Callable[[int, memoryview], None] = rec.rx_private if private else rec.rx

    def tx(self, conn: int, frame: object, data: bytes) -> None:
        """A frame sent on ``conn``; ``frame`` is the abstract ``protocol.session`` frame."""
        from mexc_futures.protocol.session import Filter, Login

        self._rec.tx(conn, data, login=isinstance(frame, Login),
                     filter_=isinstance(frame, Filter), private=self._private)


def remove_partial(out: Path) -> None:
    """Remove a ``manifest.json.tmp`` left by a crash (the manifest itself is always whole)."""
    with contextlib.suppress(FileNotFoundError):
        (Path(out) / "manifest.json.tmp").unlink()


__all__ = ["FrameTap", "Recorder", "SegmentSet", "remove_partial"]

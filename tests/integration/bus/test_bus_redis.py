"""The bus against a real redis-server (issue #18, design §2.6-2.7: B1, B2 and the foundation)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mexc_futures.bus import records
from mexc_futures.bus.conn import BusConnection, BusHealth, BusUnavailable
from mexc_futures.bus.publish import StreamWriter
from mexc_futures.bus.retention import Retention
from mexc_futures.bus.url import parse_bus_url
from mexc_futures.testing.services import ping

ROOT = Path(__file__).resolve().parents[3]


def test_b2_server_on_a_random_loopback_port_stopped_by_its_pid(redis_service: Any) -> None:
    from mexc_futures.testing.services import redis_server

    assert redis_service.url.startswith("redis://127.0.0.1:")
    assert ping(redis_service.port)
    with redis_server() as other:  # a second one on another port, its own directory
        assert other.port != redis_service.port
        assert other.directory != redis_service.directory
        pid = other.pid
        assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped (and reaped) by its PID
    assert not other.directory.exists()
    redis_service.stop()
    assert not ping(redis_service.port)
    redis_service.start()  # same port again: an outage in a test
    assert ping(redis_service.port)


def _run_pytest_with_path(tmp_path: Path, require: str | None) -> subprocess.CompletedProcess[str]:
    probe = ROOT / "tests" / "integration" / "bus" / "_probe_fixture.py"
    env = {k: v for k, v in os.environ.items() if k != "MEXC_FUTURES_REQUIRE_REDIS"}
    env["PATH"] = str(tmp_path)  # no redis-server on it
    if require is not None:
        env["MEXC_FUTURES_REQUIRE_REDIS"] = require
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe),
         "--rootdir", str(ROOT)],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT, check=False)


def test_b2_missing_binary_skips_locally_and_fails_when_required(tmp_path: Path) -> None:
    local = _run_pytest_with_path(tmp_path, None)
    assert local.returncode == 0, local.stdout + local.stderr
    assert "SKIPPED" in local.stdout
    assert "redis-server not installed" in local.stdout
    ci = _run_pytest_with_path(tmp_path, "1")
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "MEXC_FUTURES_REQUIRE_REDIS=1" in ci.stdout
    assert "SKIPPED" not in ci.stdout


def test_b1_default_demo_imports_no_redis(tmp_path: Path) -> None:
    script = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('REDIS-IMPORTED' if 'redis' in sys.modules "
        "else 'NO-REDIS', sorted(m for m in sys.modules if m.startswith('mexc_futures.bus'))))\n"
        "sys.argv = ['mexc-futures', 'demo', '--duration', '3', '--headless']\n"
        "runpy.run_module('mexc_futures.cli', run_name='__main__')\n")
    env = {"MEXC_FUTURES_HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=90, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Reconciliation: MATCH" in proc.stdout
    assert "NO-REDIS []" in proc.stdout, proc.stdout[-400:]


async def test_writer_bounds_every_stream_and_flushes_without_a_next_message(
        redis_url: str) -> None:
    async with BusConnection(parse_bus_url(redis_url)) as bus:
        writer = StreamWriter(bus, max_batch=500)
        for i in range(5000):
            writer.add("mx:md:depth:T", records.encode_md(i, 0, i + 1, b"x" * 50),
                       Retention(maxlen=200))
        await writer.flush()
        assert writer.published == 5000
        length = await bus.client.xlen("mx:md:depth:T")
        assert 200 <= length <= 400  # approximate trimming: whole radix-tree nodes
        # one entry alone still leaves at the end of the loop turn (nautilus #3426)
        writer.add("mx:md:deal:T", records.encode_md(1, 0, 1, b"y"), Retention(maxlen=10))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if await bus.client.xlen("mx:md:deal:T") == 1:
                break
        assert await bus.client.xlen("mx:md:deal:T") == 1
        # age-based: entries older than max_age_ms relative to the SERVER's ids are trimmed
        # (approximate trimming drops whole nodes of 100 entries: 500 old entries, 1 new)
        for i in range(500):
            await bus.client.xadd("mx:md:ticker:T", {b"d": b"old"}, id=f"1000-{i + 1}")
        writer.add("mx:md:ticker:T", {b"d": b"new"}, Retention(max_age_ms=60_000))
        await writer.flush()
        assert await bus.client.xlen("mx:md:ticker:T") <= 101


async def test_connection_reports_down_and_up_across_a_restart(redis_service: Any) -> None:
    seen: list[BusHealth] = []
    bus = BusConnection(parse_bus_url(redis_service.url), ping_interval=0.05,
                        backoff_base=0.05, backoff_cap=0.2)
    bus.subscribe(seen.append)
    async with bus:
        assert bus.up
        redis_service.stop()
        for _ in range(200):
            if not bus.up:
                break
            await asyncio.sleep(0.02)
        assert bus.state == "bus_down"
        with pytest.raises(BusUnavailable, match="down"):
            await bus.call(lambda c: c.ping())
        writer = StreamWriter(bus)
        writer.add("mx:md:depth:T", records.encode_md(1, 0, 1, b"x"), Retention(maxlen=10))
        await writer.flush()
        assert writer.dropped == 1  # market data is at-most-once: dropped and counted, not queued
        redis_service.start()
        assert await bus.wait_up(10)
        assert await bus.call(lambda c: c.ping())
    assert [h.state for h in seen] == ["bus_up", "bus_down", "bus_up"]


async def test_unreachable_bus_fails_at_start_with_the_fix(redis_service: Any) -> None:
    url = parse_bus_url(redis_service.url)
    redis_service.stop()
    with pytest.raises(BusUnavailable, match="is redis-server running"):
        async with BusConnection(url, timeout=0.5):
            pass


async def test_a_late_answer_is_not_an_outage(redis_url: str) -> None:
    """A server that answers late (here: CLIENT PAUSE 800 ms; on a loaded machine: a starved
    process) fails that call but does not flip the bus to bus_down: consumers would re-sync every
    book for nothing. Two PINGs in a row without an answer would."""
    seen: list[str] = []
    url = parse_bus_url(redis_url)
    async with BusConnection(url, timeout=0.5, ping_interval=0.05) as bus, \
            BusConnection(url, name="pauser") as other:
        bus.subscribe(lambda h: seen.append(h.state))
        await other.client.execute_command("CLIENT", "PAUSE", "800", "ALL")
        with pytest.raises(BusUnavailable, match="did not answer in time"):
            await bus.call(lambda c: c.get("mx:test"))
        await asyncio.sleep(1.0)
        assert await bus.call(lambda c: c.ping())
        assert bus.call_timeouts == 1
    assert seen == []

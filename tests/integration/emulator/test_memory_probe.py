"""``GET /_emulator/memory`` and ``POST /_emulator/memory/trace``: where the emulator's memory
goes, behind the control token (issue #14, the RSS plateau)."""

from __future__ import annotations

import aiohttp

from mexc_futures.emulator.server.server import Emulator


async def test_memory_probe_sizes_and_tracemalloc_diff() -> None:
    async with Emulator(symbols=["BTC_USDT", "ETH_USDT"], seed=2) as ex, \
            aiohttp.ClientSession() as http:
        url = ex.control_url + "/memory"
        async with http.get(url) as r:
            assert r.status == 401  # the token guards it
        auth = {"X-Emulator-Token": ex.control_token}
        async with http.get(url + "?top=0", headers=auth) as r:
            body = await r.json()
        assert body["rssKb"] > 0
        assert body["tasks"] >= 1
        venue, server = body["sizes"]["venue"], body["sizes"]["server"]
        assert venue["symbols"] == 2
        assert venue["depthCommits"] >= 0
        assert {"links", "closedLinks", "restCalls", "faultsFired"} <= set(server)
        assert body["tracemalloc"] == {"tracing": False}
        async with http.post(url + "/trace", json={"frames": 101}, headers=auth) as r:
            assert r.status == 400
        async with http.post(url + "/trace", json={"frames": 2}, headers=auth) as r:
            assert await r.json() == {"tracing": True, "frames": 2}
        try:
            async with http.get(url + "?top=5", headers=auth) as r:
                first = (await r.json())["tracemalloc"]
            ex.advance(5_000)
            async with http.get(url + "?top=5", headers=auth) as r:
                diff = (await r.json())["tracemalloc"]
            assert first["tracing"]
            assert diff["tracing"]
            assert len(diff["top"]) <= 5
            assert all({"sizeDiffKb", "countDiff", "where"} <= set(row) for row in diff["top"])
        finally:
            async with http.post(url + "/trace", json={"frames": 0}, headers=auth) as r:
                assert await r.json() == {"tracing": False}

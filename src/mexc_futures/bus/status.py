"""``mexc-futures bus status``: what is on the bus (stream lengths, groups, lag, pending, memory).

Read-only: ``SCAN`` over ``mx:*`` (never ``KEYS``), ``XLEN``/``XINFO GROUPS`` per stream, the
gateways' heartbeats and ``INFO memory|cpu|server``. Market-data streams are summarised per
channel (800 symbols would be 3,200 lines); ``--json`` has every stream.
"""

from __future__ import annotations

from typing import Any

import msgspec

from mexc_futures.bus.conn import BusConnection


def _s(v: Any) -> Any:
    return v.decode() if isinstance(v, bytes) else v


async def collect(bus: BusConnection, *, scan_count: int = 1000) -> dict[str, Any]:
    """Everything ``bus status`` shows, as plain data."""
    c = bus.client
    streams: dict[str, dict[str, Any]] = {}
    gateways: list[dict[str, Any]] = []
    async for raw in c.scan_iter(match="mx:*", count=scan_count, _type="stream"):
        key = _s(raw)
        entry: dict[str, Any] = {"length": int(await c.xlen(raw)), "groups": []}
        for g in await c.xinfo_groups(raw):
            g = {_s(k): _s(v) for k, v in g.items()}
            entry["groups"].append({"name": g.get("name"), "consumers": g.get("consumers"),
                                    "pending": g.get("pending"), "lag": g.get("lag")})
        streams[key] = entry
    async for raw in c.scan_iter(match="mx:gw:*", count=scan_count):
        val = await c.get(raw)
        if val:
            try:
                gateways.append(msgspec.json.decode(val))
            except msgspec.DecodeError:
                gateways.append({"name": _s(raw), "unreadable": True})
    info = {_s(k): _s(v) for k, v in (await c.info("memory")).items()}
    cpu = {_s(k): _s(v) for k, v in (await c.info("cpu")).items()}
    server = {_s(k): _s(v) for k, v in (await c.info("server")).items()}
    channels: dict[str, dict[str, int]] = {}
    for key, e in streams.items():
        bits = key.split(":")
        if len(bits) == 4 and bits[1] == "md":
            ch = channels.setdefault(bits[2], {"streams": 0, "entries": 0})
            ch["streams"] += 1
            ch["entries"] += e["length"]
    return {
        "url": str(bus.url),
        "redis": {"version": server.get("redis_version"),
                  "used_memory": int(info.get("used_memory", 0)),
                  "used_memory_peak": int(info.get("used_memory_peak", 0)),
                  "maxmemory": int(info.get("maxmemory", 0)),
                  "cpu_s": float(cpu.get("used_cpu_sys", 0)) + float(cpu.get("used_cpu_user", 0))},
        "market_data": channels,
        "streams": streams,
        "gateways": gateways,
    }


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def render(d: dict[str, Any]) -> str:
    """The human view of ``collect``'s data."""
    r = d["redis"]
    lines = [f"bus {d['url']}  redis {r['version']}  memory {_mb(r['used_memory'])} "
             f"(peak {_mb(r['used_memory_peak'])}"
             + (f", max {_mb(r['maxmemory'])})" if r["maxmemory"] else ", no maxmemory)")
             + f"  cpu {r['cpu_s']:,.1f} s"]
    if d["gateways"]:
        for g in d["gateways"]:
            lines.append(f"gateway {g.get('name')}: pid {g.get('pid')}, {g.get('streams', 0):,} "
                         f"streams, {g.get('published', 0):,} published, "
                         f"{g.get('dropped', 0):,} dropped")
    else:
        lines.append("gateway: none seen (no mx:gw:* heartbeat in the last 5 s)")
    if d["market_data"]:
        lines.append("market data (kept 120 s):")
        for ch, v in sorted(d["market_data"].items()):
            lines.append(f"  {ch:<14} {v['streams']:>5,} streams {v['entries']:>10,} entries")
    others = {k: v for k, v in d["streams"].items() if not k.startswith("mx:md:") or
              k == "mx:md:ctl"}
    if others:
        lines.append("other streams:")
        for key, v in sorted(others.items()):
            lines.append(f"  {key:<40} {v['length']:>8,} entries")
            for g in v["groups"]:
                lines.append(f"    group {g['name']}: {g['consumers']} consumers, pending "
                             f"{g['pending']}, lag {g['lag']}")
    return "\n".join(lines)


__all__ = ["collect", "render"]

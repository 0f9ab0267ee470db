"""Every Redis key the bus uses, in one table (design §2.5). Pure.

=============================================  =====================================================
key                                            what
=============================================  =====================================================
``mx:md:{channel}:{symbol}``                   a stream: raw MEXC push frames of one public stream
                                               (gateway writes; fields r, c, s, d: ``records.py``)
``mx:md:ctl``                                  a stream: gateway control events (up, down, resync,
                                               deal_gap, snapshot)
``mx:snap:req``                                a stream: snapshot requests from consumers
``mx:snap:{symbol}:{req}``                     a string with TTL: the gateway's answer (REST
                                               ``depth`` shape), 30 s
``mx:gw:{name}``                               a string with TTL: gateway heartbeat
``mx:ord:{account}:intents``                   a stream: order intents (consumer group ``exec``)
``mx:ord:{account}:events:{strategy}``         a stream: results and account events per strategy
``mx:ctl:{account}``                           a stream: commands to the exec service
``mx:lease:{account}``                         a string: the exec service's leader lease
``mx:kill:{account}``                          a string: the kill latch mirror
=============================================  =====================================================

Components are checked (no ``:``, whitespace or wildcard characters) so that one key can never
stand for another and an ACL pattern (``~mx:md:*``) covers exactly one role's keys.
"""

from __future__ import annotations

import re

from mexc_futures.errors import ConfigError

PREFIX = "mx"
MD_CTL = "mx:md:ctl"
SNAP_REQUESTS = "mx:snap:req"
EXEC_GROUP = "exec"
_PART = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def _part(kind: str, value: str) -> str:
    if not _PART.match(value):
        raise ConfigError(f"bus {kind} {value!r}: use letters, digits, '_', '.', '-' "
                          "(at most 64; no ':' or spaces)")
    return value


def md_stream(channel: str, symbol: str) -> str:
    """``mx:md:{channel}:{symbol}``: one public stream's raw frames."""
    return f"{PREFIX}:md:{_part('channel', channel)}:{_part('symbol', symbol)}"


def parse_md_stream(key: str | bytes) -> tuple[str, str]:
    """``mx:md:depth:BTC_USDT`` -> ``("depth", "BTC_USDT")``; ValueError otherwise."""
    text = key.decode() if isinstance(key, bytes) else key
    bits = text.split(":")
    if len(bits) != 4 or bits[0] != PREFIX or bits[1] != "md":
        raise ValueError(f"not a market-data stream key: {text!r}")
    return bits[2], bits[3]


def snapshot_reply(symbol: str, req: str) -> str:
    """``mx:snap:{symbol}:{req}``: where the gateway writes its answer to request ``req``."""
    return f"{PREFIX}:snap:{_part('symbol', symbol)}:{_part('request id', req)}"


def gateway_heartbeat(name: str) -> str:
    return f"{PREFIX}:gw:{_part('gateway name', name)}"


def intents(account: str) -> str:
    """``mx:ord:{account}:intents``."""
    return f"{PREFIX}:ord:{_part('account', account)}:intents"


def events(account: str, strategy: str) -> str:
    """``mx:ord:{account}:events:{strategy}``."""
    return f"{PREFIX}:ord:{_part('account', account)}:events:{_part('strategy', strategy)}"


def control(account: str) -> str:
    """``mx:ctl:{account}``."""
    return f"{PREFIX}:ctl:{_part('account', account)}"


def lease(account: str) -> str:
    """``mx:lease:{account}``."""
    return f"{PREFIX}:lease:{_part('account', account)}"


def kill(account: str) -> str:
    """``mx:kill:{account}``."""
    return f"{PREFIX}:kill:{_part('account', account)}"

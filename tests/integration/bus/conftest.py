"""Fixtures of the bus execution tests: the shared ``redis_server`` helper with AOF on (the
setting design §2.5 gives the intent and event streams), so a Redis restart keeps them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mexc_futures.testing.services import RedisServer, redis_server
from tests.conftest import _need_redis_server


@pytest.fixture
def redis_aof() -> Iterator[RedisServer]:
    """A fresh persistent (AOF ``everysec``) ``RedisServer`` for this test."""
    _need_redis_server()
    with redis_server(persistence=True) as server:
        yield server

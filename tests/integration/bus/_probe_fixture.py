"""Run by test_bus_redis.py in a subprocess with no redis-server on PATH (not collected: leading
underscore): the ``redis_url`` fixture must skip, or fail under MEXC_FUTURES_REQUIRE_REDIS=1."""


def test_needs_redis(redis_url: str) -> None:
    assert redis_url

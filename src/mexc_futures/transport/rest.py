"""Signed REST client over aiohttp (spec §2 envelope, §3 signing, §4–§5 endpoints, §9.1 limits).

``RestClient`` is the one class users build: the transport core (``rest_core``: session,
signing, limiter, clock offset, retries, error classification, the order-lane dispatch of
``rest_lane``) composed with the typed endpoint methods (``rest_public`` for market data,
``rest_private`` for account, orders, plan and stop orders, ``rest_conditional`` for
plan/stop/trailing placement, batch, chase, reverse, margin and history). The contract of every
call is the core's module docstring; each method's docstring names its endpoint.
"""

from __future__ import annotations

from mexc_futures.transport.rest_conditional import BATCH_MAX, ConditionalEndpoints
from mexc_futures.transport.rest_core import (
    READ_POSTS,
    RestObserver,
    encode_body,
    rows,
)
from mexc_futures.transport.rest_lane import LANE_ENDPOINTS
from mexc_futures.transport.rest_private import CreateOrderBody, PrivateEndpoints
from mexc_futures.transport.rest_public import PublicEndpoints


class RestClient(PublicEndpoints, PrivateEndpoints, ConditionalEndpoints):
    """Typed MEXC Futures REST client. ``async with RestClient(env, creds) as rest: ...``."""


__all__ = [
    "BATCH_MAX",
    "LANE_ENDPOINTS",
    "READ_POSTS",
    "CreateOrderBody",
    "RestClient",
    "RestObserver",
    "encode_body",
    "rows",
]

"""Thin async I/O shells over ``protocol``: the picows WebSocket, the connection pool, the REST
client (aiohttp) and the raw HTTP/1.1 order lane, and the connection/stream counters they bump
(``metrics``). Decisions live below (``protocol``, ``model``); this floor only moves bytes.
"""

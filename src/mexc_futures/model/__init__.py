"""The domain, pure: books and their sync/recovery, orders and their state table, instruments,
risk limits, the kill switch, events and intents.

Bottom floor: imports nothing of the project but ``errors`` (and no asyncio, socket, time or
random; ``tests/unit/test_core_purity.py``). Everything above speaks in these types.
"""

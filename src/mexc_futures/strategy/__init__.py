"""The strategy engine and the Strategy API (brief §6.1): typed events in, intents out.

* ``api`` — ``Strategy`` and the view a strategy reads; ``engine`` — the wiring (queues, timers,
  dispatch, shutdown settle); ``outbox`` — the intent queue, its worker and the halt;
  ``health`` — its tunables, counters and reports; ``inbox`` — conflating queues;
  ``account`` — the account state a strategy sees; ``loader`` — strategies by name or path;
  ``session`` — a strategy on market data + execution (``mexc-futures run``).

Sits above ``marketdata`` and ``execution`` and joins them; knows no wire format (never imports
``protocol``; checked by ``tests/unit/test_layout.py``).
"""

"""The execution manager (brief §6.1): intents -> risk gate -> journal -> REST, and back.

Users import from here: ``from mexc_futures.execution import ExecutionManager, ExecutionConfig``.

Why this cut: every part that must never lose an order sits in one room (it was ``execution.py``
plus a second package ``exec/`` plus loose ``journal.py`` and ``alerts.py``).

* ``facade`` — ``ExecutionManager``: its state, lifecycle (start-up reconciliation, stop), views.
* ``placement`` — intent dispatch, the gate, journal-then-``order/create`` (I1, S16).
* ``switches`` — what switches trading off: probe, venue refusals, kill-switch feed, trip/reset.
* ``common`` — configuration, the manager's own errors, the strategy event type.
* ``requests`` — from intent to request, pure: close orders, ``order/create`` bodies, the risk view.
* ``journal`` — the SQLite write-ahead journal of intents and orders (I1).
* ``account`` — the venue account as reported: order updates and fills applied to the tracker,
  positions, balances (I1, I2).
* ``probe`` — the capability probe run at start (spec §3.4, §4.1, §5.2).
* ``reconcile`` — resolving unknown outcomes and aligning the tracker with REST (I2, S16–S18).
* ``containment`` — the kill-switch cleanup procedure (I8): cancel, flatten, verify.
* ``killwatch`` — a kill latched by another process stops this one (D1).
* ``orderops`` — amends, cancels and which orders are this run's (D2, ux finding 2).
* ``adopt`` — open orders the journal does not know: amend replacements adopted, others foreign.
* ``alerts`` — where critical alerts go (log, webhook).

Floors: imports ``transport``, ``protocol``, ``model`` (and ``errors``/``config``/``clock``), never
``marketdata``, ``strategy`` or ``cli`` (checked by ``tests/unit/test_layout.py``).
"""

from mexc_futures.execution.facade import (
    Capabilities,
    ExecutionConfig,
    ExecutionManager,
    RiskRejected,
    StrategyEvent,
    TradingOff,
)

__all__ = [
    "Capabilities",
    "ExecutionConfig",
    "ExecutionManager",
    "RiskRejected",
    "StrategyEvent",
    "TradingOff",
]

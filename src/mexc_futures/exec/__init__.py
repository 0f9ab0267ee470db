"""Parts of the execution manager (``mexc_futures.execution`` is the facade users import).

* ``account`` — the venue account as reported: order updates and fills applied to the tracker,
  positions, balances (I1, I2).
* ``common`` — configuration, the manager's own errors, the strategy event type.
* ``probe`` — the capability probe run at start (spec §3.4, §4.1, §5.2).
* ``reconcile`` — resolving unknown outcomes and aligning the tracker with REST (I2, S16–S18).
* ``containment`` — the kill-switch cleanup procedure (I8): cancel, flatten, verify.
"""

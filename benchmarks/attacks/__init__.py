"""Working copies of the reliability audit's attack scripts, adapted to the current module paths.

Market data (issue #13), adapted to what the fixes report (DealsRecovered, protocol_errors, ...);
run from the repository root with the project's environment, e.g.
``.venv/bin/python -m benchmarks.attacks.repro_short_stall_deal_loss 5``.

Emulator (issue #14): ``hostile_emulator.py``, ``soak.py`` and the ``repro_*`` of D2, D6 and D10
(with their ``common.py``), kept close to the originals so that the figures compare. Write their
output outside the checkout (their logs carry absolute paths)::

    .venv/bin/python benchmarks/attacks/hostile_emulator.py /tmp/mf-attacks/hostile
    .venv/bin/python benchmarks/attacks/soak.py /tmp/mf-attacks/soak 600 150 1 200
    .venv/bin/python benchmarks/attacks/repro_poison_plan_order.py Infinity
    .venv/bin/python benchmarks/attacks/repro_clock_ping_vs_auth.py
    .venv/bin/python benchmarks/attacks/repro_amend_not_atomic.py
"""

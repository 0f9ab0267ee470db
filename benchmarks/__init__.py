"""Side-by-side benchmarks: this toolkit vs ccxt.pro vs a raw floor, in one command.

Run ``python -m benchmarks [--quick] [--out FILE]`` (the README's ``./run bench``). The method is
described in ``docs/benchmarks.md``. Benchmarks are measurements, never assertions: the smoke test
in ``tests/integration/test_bench_smoke.py`` only checks that the suite runs and gates correctness.
"""

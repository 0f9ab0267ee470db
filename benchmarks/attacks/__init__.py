"""Working copies of the reliability audit's market-data attack scripts (issue #13), adapted to
the current module paths and to what the fixes report (DealsRecovered, protocol_errors, ...).

Run from the repository root with the project's environment, e.g.
``.venv/bin/python -m benchmarks.attacks.repro_short_stall_deal_loss 5``.
"""

"""Backtests through the real protocol (issue #17): the unchanged ``Strategy`` and client stack
against an emulator that plays a recording (``runner``), the lockstep virtual-time loop of a
deterministic run (``lockstep``), the honest report (``report``) and the comparison with a live
run's journal (``compare``).

Floors: above ``strategy`` and ``recording`` (it runs sessions on recordings), below ``cli``; one
of the parts allowed to start an in-process emulator."""

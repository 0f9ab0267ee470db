"""Backtests through the real protocol (issue #17): the unchanged ``Strategy`` and client stack
against an emulator that plays a recording (``runner``), and the honest report (``report``).

Floors: above ``strategy`` and ``recording`` (it runs sessions on recordings), below ``cli``; one
of the parts allowed to start an in-process emulator."""

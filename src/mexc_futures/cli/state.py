"""Persistent CLI state: the kill-switch latch read from the journal of the target kind."""

from __future__ import annotations

from mexc_futures.cli.common import Options
from mexc_futures.journal import Journal
from mexc_futures.model.killswitch import KillRecord


def kill_record(opts: Options) -> KillRecord | None:
    """The latched kill-switch record of this target kind, or ``None`` when armed."""
    journal = Journal(opts.journal_path)
    try:
        rec = journal.load_kill()
    finally:
        journal.close()
    if rec is None or rec.state.upper() == "ARMED":
        return None
    return rec


__all__ = ["kill_record"]

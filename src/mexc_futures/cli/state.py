"""Persistent CLI state: the kill-switch latch read from the journal of the target kind."""

from __future__ import annotations

from mexc_futures.cli.common import CliError, Options, kill_help
from mexc_futures.execution.journal import Journal
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


def refuse_if_killed(opts: Options, what: str = "no order was sent") -> None:
    """Raise ``CliError`` (saying how to re-arm) when the kill switch of this target kind is
    latched; ``what`` says what was refused."""
    rec = kill_record(opts)
    if rec is not None:
        detail = f": {rec.detail}" if rec.detail else ""
        raise CliError(
            f"Kill switch is TRIPPED ({rec.reason}{detail}); {what}. {kill_help(opts)}"
        )


__all__ = ["kill_record", "refuse_if_killed"]

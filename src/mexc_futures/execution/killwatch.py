"""A kill latched by another process stops this one (reliability D1; ``ExecutionManager`` mixes
it in).

Why the journal: it is already the one place every process on a target reads and writes (the
latch lives there and survives restarts); no pid discovery or signal permission is needed, and
SQLite makes the check atomic — ``Journal.record_intent`` refuses to insert once the latch is
committed, so no process journals (and sends) an order after ``mexc-futures kill``.

* ``_watch_kill`` reads the latch every ``kill_watch_interval`` (0.2 s) and refreshes this
  process's heartbeat in the ``running`` table every second.
* ``_check_external_kill`` adopts a latch this process did not trip: no second alert, a
  ``KillSwitchTripped`` event (the strategy engine halts, the session stops), the cleanup runs
  here too, and creates waiting for a limiter slot are dropped unsent (``RestCore.send_gate``).
* ``_acknowledge_kill`` writes ``kill_seen_ms`` once the creates already written are answered.
* ``stop_others`` (the ``kill`` side) waits for every other live process's acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from mexc_futures.clock import Clock
from mexc_futures.execution.common import ExecutionConfig, StrategyEvent
from mexc_futures.execution.containment import Containment
from mexc_futures.execution.journal import Journal, RunningSession
from mexc_futures.model.events import KillSwitchTripped
from mexc_futures.model.killswitch import KillSwitch

log = logging.getLogger("mexc_futures.execution")


class KillWatch:
    """See the module docstring; state lives on the manager."""

    journal: Journal | None
    kill_switch: KillSwitch
    containment: Containment
    config: ExecutionConfig
    clock: Clock
    session_id: str
    external_kill: bool
    _kill_acked: bool
    _no_creates: asyncio.Event
    _stopping: asyncio.Event
    _emit: Callable[[StrategyEvent], None]

    if TYPE_CHECKING:

        @property
        def _j(self) -> Journal: ...

        def _start_cleanup(self) -> None: ...

    async def _watch_kill(self) -> None:
        """Read the journal's kill-switch record every ``kill_watch_interval`` seconds: a latch
        committed by another process (``mexc-futures kill``) stops this one within that bound.
        Also refreshes this process's heartbeat in the ``running`` table."""
        interval = self.config.kill_watch_interval
        beat = 0.0
        while not self._stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)
            if self._stopping.is_set() or self.journal is None:
                return
            if self._check_external_kill():
                await self._acknowledge_kill()
            beat += interval
            if beat >= 1.0:
                beat = 0.0
                self.journal.heartbeat(self.session_id, self.clock.time_ms())

    def _check_external_kill(self) -> bool:
        """True when the journal's record is latched; adopt it if this process was armed."""
        rec = self._j.load_kill()
        if rec is None or rec.state == "armed":
            return False
        if not self.kill_switch.tripped:
            self.kill_switch.restore(rec)
            self.kill_switch.alerted = True  # the process that latched it alerts, not us
            self.external_kill = True
            log.error(
                "kill switch latched by another process (%s: %s): no new orders from this "
                "process; cancelling everything",
                rec.reason,
                rec.detail,
            )
            self._j.event("kill_seen", None, f"{rec.reason}: {rec.detail}", self.clock.time_ms())
            self._emit(
                KillSwitchTripped(reason=rec.reason, detail=rec.detail, ts=rec.tripped_at_ms)
            )
            self._start_cleanup()
        return True

    async def _acknowledge_kill(self) -> None:
        """Tell ``mexc-futures kill`` this process stopped: once, after every create already
        handed to the venue has its answer (bounded by ``kill_ack_wait``)."""
        if self._kill_acked:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._no_creates.wait(), self.config.kill_ack_wait)
        self._kill_acked = True
        self._j.mark_kill_seen(self.session_id, self.clock.time_ms())

    async def stop_others(self, wait_s: float = 10.0) -> list[tuple[RunningSession, float | None]]:
        """After a trip: wait until every other live process on this journal acknowledged the
        latch. Returns each with the seconds it took (``None``: no answer within ``wait_s``).
        Processes that died without closing the journal are skipped."""
        t0 = self.clock.monotonic()
        others = [r for r in self._j.running(exclude=self.session_id) if _alive(r.pid)]
        waiting = {r.session_id: r for r in others}
        took: dict[str, float] = {}
        while waiting and self.clock.monotonic() - t0 < wait_s:
            for r in self._j.running(exclude=self.session_id):
                if r.session_id in waiting and r.kill_seen_ms is not None:
                    took[r.session_id] = self.clock.monotonic() - t0
                    del waiting[r.session_id]
            if waiting:
                await asyncio.sleep(0.05)
        return [(r, took.get(r.session_id)) for r in others]

    async def verify_contained(self) -> None:
        """Run the cleanup again until REST shows nothing open (after others stopped)."""
        self.kill_switch.mark_contained(False)
        await self.containment.contain(self._j, self._stopping)


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = ["KillWatch"]

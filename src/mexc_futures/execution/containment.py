"""Kill-switch cleanup procedure (reliability I8, S22–S23; spec §5.3, §5.6–§5.8).

Once the switch has tripped, ``contain()`` sends exactly one alert (unless a restored record says
it was already sent), then repeats until REST confirms that nothing is open: cancel all orders,
all plan orders, all stop orders and all trailing orders, close every position when
``flatten_on_trip``, then list open orders, plan, stop and trailing orders (and positions)
again. Each failed round waits ``cleanup_retry`` doubling up to ``cleanup_retry_cap``. Success
marks the switch contained; every step is persisted in the journal so the state survives
restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from mexc_futures.clock import Clock
from mexc_futures.errors import ApiError, MexcError
from mexc_futures.execution.alerts import Alert
from mexc_futures.execution.common import ExecutionConfig, StrategyEvent
from mexc_futures.execution.journal import Journal
from mexc_futures.model.events import KillSwitchTripped, OrderUpdate
from mexc_futures.model.killswitch import KillSwitch
from mexc_futures.model.orders import OrderTracker, TrackedOrder
from mexc_futures.protocol.convert import order_update
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")


class Containment:
    """The cleanup procedure of one manager (see the module docstring)."""

    def __init__(
        self,
        rest: RestClient,
        kill_switch: KillSwitch,
        tracker: OrderTracker,
        *,
        alerts: Alert,
        config: ExecutionConfig,
        clock: Clock,
        emit: Callable[[StrategyEvent], None],
        apply_update: Callable[[OrderUpdate], None],
        resolve: Callable[[TrackedOrder], Awaitable[TrackedOrder]],
    ) -> None:
        self.rest = rest
        self.kill_switch = kill_switch
        self.tracker = tracker
        self.alerts = alerts
        self.config = config
        self.clock = clock
        self._emit = emit
        self._apply_update = apply_update
        self._resolve = resolve

    async def contain(self, journal: Journal, stopping: asyncio.Event) -> None:
        """Alert once, then clean up until verified (or until ``stopping`` is set)."""
        ks = self.kill_switch
        if not ks.alerted:
            self._emit(KillSwitchTripped(reason=ks.reason, detail=ks.detail, ts=ks.tripped_at_ms))
            await self.alerts.send(f"kill switch tripped: {ks.reason}", ks.detail)
            ks.alerted = True
            journal.save_kill(ks.snapshot(), self.clock.time_ms())
            journal.event("kill_tripped", None, f"{ks.reason}: {ks.detail}", self.clock.time_ms())
        delay = self.config.cleanup_retry
        while not stopping.is_set():
            try:
                if await self.cancel_everything():
                    ks.mark_contained(True)
                    journal.save_kill(ks.snapshot(), self.clock.time_ms())
                    journal.event("kill_contained", None, "nothing open", self.clock.time_ms())
                    return
            except MexcError as e:
                log.warning("kill-switch cleanup round failed: %s", e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.cleanup_retry_cap)

    async def cancel_everything(self) -> bool:
        """One cleanup round; True when REST shows nothing open (and flat, if flattening)."""
        rest = self.rest
        flatten = self.kill_switch.config.flatten_on_trip
        try:
            await rest.cancel_all()
        except ApiError as e:  # fidelity row 2: whichever reading the venue takes, by id works
            log.warning("cancel_all refused (%s): cancelling the open orders by id", e)
            ids = [str(r.order_id) for r in await rest.get_open_orders()]
            for i in range(0, len(ids), 50):
                await rest.cancel_orders(ids[i : i + 50])
        await rest.cancel_all_plan_orders()
        await rest.cancel_all_stop_orders()
        await rest.cancel_track_order()  # no symbol, no id: every trailing order (§5.8)
        if flatten and await rest.get_positions():
            await rest.close_all_positions()
        open_rows = await rest.get_open_orders()
        plans = await rest.get_plan_orders()
        stops = await rest.get_stop_orders()
        tracks = await rest.list_track_orders(states="0,1")
        flat = not flatten or not await rest.get_positions()
        for row in open_rows:
            self._apply_update(order_update(row))
        if open_rows or plans or stops or tracks or not flat:
            return False
        for order in self.tracker.live():
            await self._resolve(order)
        return True


__all__ = ["Containment"]

"""What switches trading off, and the kill switch's operator side (``ExecutionManager`` mixin).

* ``probe``: the capability probe at start (``execution.probe``; spec §3.4, §4.1, §5.2); a key
  that cannot read the account, or a probe the venue refuses, switches trading off with a reason.
* ``_venue_refused``: what a venue refusal means for trading. ``apiAllowed=false`` answered by
  1002 switches that symbol off only (fidelity row 17); unrecoverable clock skew (513 after
  re-measuring, S21) alerts once; 1002/604/801/6001 and the permission codes switch trading off
  (``model.killswitch``); 602 on a write while signed reads pass means API trading is disabled
  for the key or account (fidelity row 9).
* ``rest_outcome`` (``RestObserver``): every REST attempt feeds the kill switch (I8; an
  undecodable 2xx counts as an error, D12); a trip starts the cleanup (``execution.containment``).
* ``trip`` / ``reset``: the operator's commands; the state is persisted in the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from mexc_futures.clock import Clock
from mexc_futures.errors import (
    ApiError,
    AuthError,
    ClockSkewError,
    MexcError,
    TradingDisabledError,
    TransportError,
)
from mexc_futures.execution.alerts import Alert
from mexc_futures.execution.common import ExecutionConfig
from mexc_futures.execution.conditional import ConditionalManager
from mexc_futures.execution.containment import Containment
from mexc_futures.execution.journal import Journal
from mexc_futures.execution.probe import Capabilities, run_probe
from mexc_futures.model.events import BalanceUpdate
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.killswitch import DISABLED_CODES, PERMISSION_CODES, KillSwitch
from mexc_futures.model.risk import RiskGate, RiskView
from mexc_futures.protocol.endpoints import Endpoint
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")

ORDER_PATH = "/api/v1/private/order/"
SIGNATURE_REJECTED = 602
SERVER_CODES = frozenset({500, 501, 9999})


class TradingSwitches:
    """See the module docstring; state lives on the manager."""

    rest: RestClient
    clock: Clock
    config: ExecutionConfig
    alerts: Alert
    kill_switch: KillSwitch
    containment: Containment
    conditionals: ConditionalManager
    capabilities: Capabilities
    specs: dict[str, ContractSpec]
    risk: RiskGate
    view: RiskView
    journal: Journal | None
    trading_off_reason: str
    external_kill: bool
    _kill_acked: bool
    _cleanup: asyncio.Task[None] | None
    _stopping: asyncio.Event

    if TYPE_CHECKING:

        @property
        def _j(self) -> Journal: ...

        @property
        def balances(self) -> dict[str, BalanceUpdate]: ...

        def _spawn(self, coro: Any) -> asyncio.Task[Any]: ...

    # ------------------------------------------------------------------ probe (execution.probe)
    async def probe(self) -> Capabilities:
        """Capability probe; sets ``trading_off_reason`` when trading cannot work."""
        try:
            await run_probe(
                self.rest,
                self.config.symbols,
                caps=self.capabilities,
                view=self.view,
                specs=self.specs,
                balances=self.balances,
                max_skew_ms=self.config.max_skew_ms,
            )
        except AuthError as e:
            self._trading_off(f"key cannot read the account: {e}")
        except ApiError as e:
            self._venue_refused(e)
            self._trading_off(f"capability probe failed: {e}")
        except TransportError as e:
            self._trading_off(f"capability probe failed: {e}")
        return self.capabilities

    def _trading_off(self, reason: str) -> None:
        if not self.trading_off_reason:
            self.trading_off_reason = reason
            log.error("trading switched off: %s", reason)
            if self.journal is not None:
                self.journal.event("trading_off", None, reason, self.clock.time_ms())

    def _venue_refused(self, err: ApiError, symbol: str = "") -> None:
        spec = self.specs.get(symbol)
        if err.code == 1002 and spec is not None and spec.api_allowed is False:
            # fidelity row 17: apiAllowed=false is tried once; the venue's 1002 is its answer
            reason = (
                f"{symbol} does not accept API orders: contract/detail says apiAllowed=false and "
                f"the venue answered {err.code} to the one order tried. Trade it on the website "
                "or pick another contract; other symbols keep trading."
            )
            self.risk.switch_off(symbol, reason)
            self.capabilities.contracts[symbol] = reason
            log.error("trading switched off for %s: %s", symbol, reason)
            if self.journal is not None:
                self.journal.event("symbol_off", None, reason, self.clock.time_ms())
            return
        if isinstance(err, ClockSkewError):  # 513 even after re-measuring the offset (S21)
            reason = f"unrecoverable clock skew: {err}"
            if not self.trading_off_reason:
                self._spawn(self.alerts.send("clock skew", reason))
            self._trading_off(reason)
        elif err.code in DISABLED_CODES or isinstance(err, TradingDisabledError):
            self._trading_off(f"venue refused orders: {err}")
        elif err.code in PERMISSION_CODES:
            self._trading_off(f"API key lacks permission: {err}")
        elif err.code == SIGNATURE_REJECTED and self.capabilities.can_read:
            # fidelity row 9: signed GETs pass, a signed POST gets 602 -> the venue does not
            # allow trading through the API for this key/account (not a signing bug)
            self._trading_off(
                "API trading is disabled for this key or account: the venue accepts its signed "
                "reads but answers 602 to orders. Enable trading for the API key (or ask MEXC "
                f"whether futures API trading is open to the account). Venue said: {err}"
            )


    # ------------------------------------------------------------------ kill switch (I8)
    def rest_outcome(self, ep: Endpoint, http_status: int, code: int, ok: bool) -> None:
        """``RestObserver``: feed the kill switch from every REST attempt."""
        now, wall = self.clock.monotonic(), self.clock.time_ms()
        bad = http_status != 200 or code in SERVER_CODES or code < 0  # < 0: undecodable (D12)
        tripped = self.kill_switch.record_outcome(now, not bad, wall_ms=wall)
        if http_status == 404 and ep.path.startswith(ORDER_PATH):
            tripped |= self.kill_switch.record_not_found(now, ep.name, wall_ms=wall)
        if http_status == 200 and code > 0:
            tripped |= self.kill_switch.record_code(now, code, ep.method, wall_ms=wall)
        if tripped:
            self._start_cleanup()

    async def trip(self, reason: str = "operator", detail: str = "") -> None:
        """Operator command: trip the kill switch and wait for the cleanup to verify."""
        self.kill_switch.trip(reason, detail, wall_ms=self.clock.time_ms())
        self._start_cleanup()
        assert self._cleanup is not None  # nosec B101  # set by _start_cleanup
        await asyncio.shield(self._cleanup)
        with contextlib.suppress(MexcError):
            await self.conditionals.refresh()  # ours are cancelled at the venue now

    def reset(self) -> None:
        """Operator reset: re-arm the kill switch (persisted)."""
        self.kill_switch.reset()
        self.trading_off_reason = ""
        self.external_kill = self._kill_acked = False
        self.rest.gate_closed.clear()
        self._j.save_kill(self.kill_switch.snapshot(), self.clock.time_ms())
        self._j.event("kill_reset", None, "operator reset", self.clock.time_ms())

    def _start_cleanup(self) -> None:
        self.rest.gate_closed.set()  # creates waiting for a limiter slot: drop them now
        self._j.save_kill(self.kill_switch.snapshot(), self.clock.time_ms())
        if self._cleanup is None or self._cleanup.done():
            self._cleanup = self._spawn(self.containment.contain(self._j, self._stopping))

"""Import paths from before the package layout (issue #11) keep working for one release.

The package paths users write (README, examples, docs) resolve to the moved classes, and every
old flat module is a deprecated alias: importing it warns and yields the very same objects.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

ALIASES = {
    "mexc_futures.mdrouter": "mexc_futures.marketdata.router",
    "mexc_futures.private_stream": "mexc_futures.marketdata.private_stream",
    "mexc_futures.subscription": "mexc_futures.marketdata.subscription",
    "mexc_futures.metrics": "mexc_futures.transport.metrics",
    "mexc_futures.journal": "mexc_futures.execution.journal",
    "mexc_futures.alerts": "mexc_futures.execution.alerts",
    "mexc_futures.dashboard": "mexc_futures.cli.dashboard",
    "mexc_futures.error_codes": "mexc_futures.protocol.error_codes",
    "mexc_futures.transport.clock": "mexc_futures.clock",
    "mexc_futures.emulator.faults": "mexc_futures.emulator.server.faults",
    "mexc_futures.emulator.limits": "mexc_futures.emulator.server.limits",
}


def test_package_paths_users_write() -> None:
    from mexc_futures.emulator.server import Emulator, WsLimits
    from mexc_futures.emulator.server.limits import WsLimits as NewWsLimits
    from mexc_futures.emulator.server.server import Emulator as NewEmulator
    from mexc_futures.emulator.venue import Venue, VenueConfig
    from mexc_futures.emulator.venue.venue import Venue as NewVenue
    from mexc_futures.emulator.venue.venue import VenueConfig as NewVenueConfig
    from mexc_futures.execution import ExecutionConfig, ExecutionManager
    from mexc_futures.execution.facade import ExecutionManager as NewExecutionManager
    from mexc_futures.marketdata import MarketData, MarketDataConfig, PrivateStream
    from mexc_futures.marketdata.facade import MarketData as NewMarketData
    from mexc_futures.marketdata.private_stream import PrivateStream as NewPrivateStream

    assert Emulator is NewEmulator
    assert WsLimits is NewWsLimits
    assert Venue is NewVenue
    assert VenueConfig is NewVenueConfig
    assert ExecutionManager is NewExecutionManager
    assert ExecutionConfig is not None
    assert MarketData is NewMarketData
    assert PrivateStream is NewPrivateStream
    assert MarketDataConfig().max_per_conn == 30


def test_unknown_lazy_name_is_an_attribute_error() -> None:
    import mexc_futures.emulator.server as server_pkg
    import mexc_futures.emulator.venue as venue_pkg

    with pytest.raises(AttributeError, match="Nope"):
        server_pkg.Nope  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="Nope"):
        venue_pkg.Nope  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize(("old", "new"), sorted(ALIASES.items()))
def test_old_module_path_warns_and_is_the_same(old: str, new: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        alias = importlib.import_module(old)
    moved = importlib.import_module(new)
    assert alias.__all__ == moved.__all__
    for name in moved.__all__:
        assert getattr(alias, name) is getattr(moved, name), name


def test_every_alias_module_is_listed() -> None:
    """A new alias module must be added above (and so tested)."""
    from tests.unit.test_layout import SRC, discover

    shims = {name for name, mod in discover(SRC).items() if mod.shim}
    assert shims == set(ALIASES)


def test_python_dash_m_cli_still_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mexc_futures.cli", "--help"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    assert "emulator" in out.stdout

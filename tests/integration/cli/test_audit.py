"""``audit`` passes against the emulator and reports exactly an injected shape change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mexc_futures.emulator.venue.venue import Venue, VenueConfig
from tests.integration.cli.cli_support import ThreadedEmulator, env_for, invoke, local_home

# pragma: allowlist nextline secret - a dummy test key, not a credential
KEY, SECRET = "mx0vglAUDIT0000000001", "0123456789abcdef0123456789abcdef"  # test-only pair


class DriftingVenue(Venue):
    """The venue after an unannounced API change: the ticker's ``lastPrice`` renamed to
    ``lastPx`` and the fair price's ``fairPrice`` turned into an object."""

    def handle(self, method: str, template: str, *args: Any, **kw: Any) -> Any:
        data = super().handle(method, template, *args, **kw)
        if template == "/api/v1/contract/ticker" and isinstance(data, dict):
            data = dict(data)
            data["lastPx"] = data.pop("lastPrice")
        if template == "/api/v1/contract/fair_price/{symbol}" and isinstance(data, dict):
            data = {**data, "fairPrice": {"value": data["fairPrice"]}}
        return data


def test_audit_against_the_emulator_passes_with_order_test(tmp_path: Path) -> None:
    with local_home(tmp_path) as env:
        res = invoke(["audit", "--order-test", "--json"], env)
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["ok"] is True
    rows = {r["endpoint"]: r for r in report["findings"]}
    for name in ("depth", "ticker", "account_assets", "open_orders", "order_deals"):
        assert rows[name]["status"] in ("ok", "info"), rows[name]
    for step in ("create", "query", "cancel"):
        assert rows[f"order test: {step}"]["status"] == "ok"


def test_audit_reports_a_renamed_field_and_a_changed_type(tmp_path: Path) -> None:
    venue = DriftingVenue(VenueConfig(seed=2, symbols=("BTC_USDT",), accounts=(KEY,)))
    with ThreadedEmulator(api_key=KEY, api_secret=SECRET, venue=venue) as ex:
        env = env_for(ex, tmp_path / "home")
        res = invoke(["audit"], env)
        data = json.loads(invoke(["audit", "--json"], env).output)
    assert res.exit_code == 1, res.output
    assert "2 drift finding(s)." in res.output
    drift = [
        (f["endpoint"], f["kind"], f["detail"]) for f in data["findings"] if f["status"] == "drift"
    ]
    assert drift == [
        ("fair_price", "shape", "Expected `float`, got `object` - at `$.fairPrice`"),
        ("ticker", "shape", "Object missing required field `lastPrice`"),
    ]
    new = [
        f["detail"]
        for f in data["findings"]
        if f["endpoint"] == "ticker" and f["kind"] == "new field"
    ]
    assert new == ["unknown field(s): `$.lastPx`"]

"""Audit checker: golden responses pass; a renamed field or a changed type is reported exactly."""

from __future__ import annotations

import json
from typing import Any

from mexc_futures.cli.audit import Finding, check_body, failed
from mexc_futures.protocol.endpoints import endpoint, match
from tests.conftest import load_vectors


def successes() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for entry in load_vectors("rest_responses.json")["entries"]:
        resp = entry.get("response")
        m = match(entry["method"], entry["path"].split("?")[0])
        if m and isinstance(resp, dict) and resp.get("success"):
            out.append((m[0].name, resp))
    return out


def check(name: str, body: object, status: int = 200) -> list[Finding]:
    return check_body(endpoint(name), status, json.dumps(body).encode())


def test_every_golden_success_response_fits_its_model() -> None:
    rows = successes()
    assert len(rows) > 50
    for name, resp in rows:
        assert failed(check(name, resp)) == [], name


def ticker() -> dict[str, Any]:
    return next(r for n, r in successes() if n == "ticker" and isinstance(r["data"], dict))


def test_renamed_field_reports_missing_and_new_field() -> None:
    body = ticker()
    body["data"]["lastPriceV2"] = body["data"].pop("lastPrice")
    rows = check("ticker", body)
    drift = failed(rows)
    assert [(f.kind, f.detail) for f in drift] == [
        ("shape", "Object missing required field `lastPrice`")
    ]
    assert Finding("ticker", "info", "new field", "unknown field(s): `$.lastPriceV2`") in rows
    assert len(failed(rows, strict=True)) == 2


def test_object_where_a_number_was_names_the_field() -> None:
    body = ticker()
    body["data"]["lastPrice"] = {"value": 1}
    drift = failed(check("ticker", body))
    assert [(f.kind, f.detail) for f in drift] == [
        ("shape", "Expected `float`, got `object` - at `$.lastPrice`")
    ]


def test_path_and_code_drift() -> None:
    assert check_body(endpoint("depth"), 404, b"<html>Not Found</html>")[0].kind == "path"
    row = check("depth", {"success": False, "code": 1001, "message": "Contract not exists"})[0]
    assert (row.status, row.kind) == ("drift", "code")
    assert "1001" in row.detail
    ok = check_body(
        endpoint("depth"), 200, b'{"success":false,"code":1001}', expected_codes=frozenset({1001})
    )
    assert ok[0].status == "ok"

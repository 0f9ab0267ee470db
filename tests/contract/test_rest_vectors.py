"""Every entry of ``vectors/rest_responses.json`` against ``decode_response`` (§2, §4–§5).

Rules (docs/codec.md):

* ``success:true`` bodies decode to the endpoint's typed ``data`` (``None`` for void calls);
* ``success:false`` with an error code raises the ``ApiError`` subclass of that code;
* docs placeholders (``success:false`` with ``code:0``) contradict themselves: by default they raise
  ``ProtocolDriftError``; with ``trust_code=True`` the code decides and their shapes must decode;
* a docs excerpt that shows only ``data`` (no envelope) raises ``ProtocolDriftError`` as a body, and
  must decode through ``decode_data``;
* entries with only request examples must name a known endpoint.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from mexc_futures import decode_response
from mexc_futures.errors import ApiError, ProtocolDriftError, error_from_code
from mexc_futures.protocol import rest
from mexc_futures.protocol.codec import decode_data
from mexc_futures.protocol.endpoints import Endpoint, endpoint, match
from tests.conftest import load_vectors

ENTRIES: list[dict[str, Any]] = load_vectors("rest_responses.json")["entries"]


def _endpoint_for(entry: dict[str, Any], body: dict[str, Any]) -> Endpoint:
    if entry["method"] == "*":  # generic envelope examples; the one success is a fair_price body
        return endpoint("fair_price")
    found = match(entry["method"], entry["path"])
    assert found is not None, f"no endpoint for {entry['method']} {entry['path']}"
    return found[0]


def _cases() -> list[Any]:
    out = []
    for i, e in enumerate(ENTRIES):
        if "response" not in e:
            out.append(pytest.param(e, None, id=f"e{i}-request-only"))
            continue
        bodies = e["response"] if isinstance(e["response"], list) else [e["response"]]
        for j, body in enumerate(bodies):
            out.append(pytest.param(e, body, id=f"e{i}.{j}"))
    return out


def _check_typed(ep: Endpoint, data: Any, value: Any) -> None:
    if ep.response is None:
        assert value is None
    elif ep.response is rest.BareId:
        assert isinstance(value, str)
        assert value == str(data)
    elif data is not None:
        assert value is not None
        # re-encoding the typed value keeps every field the struct models with the same value
        again = json.loads(msgspec.json.encode(value))
        _assert_subset(again, data)


def _assert_subset(ours: Any, theirs: Any) -> None:
    if isinstance(ours, dict):
        for k, v in ours.items():
            if k in theirs:
                _assert_subset(v, theirs[k])
    elif isinstance(ours, list):
        if len(ours) == 3 and len(theirs) == 2 and ours[2] == 0:
            ours = ours[:2]  # a v1 depth level without its order count decodes with count 0
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _assert_subset(a, b)
    else:
        assert _same_scalar(ours, theirs), (ours, theirs)


def _same_scalar(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, bool) or isinstance(theirs, bool) or ours is None or theirs is None:
        return bool(ours == theirs)
    if isinstance(theirs, str):
        if isinstance(ours, str):
            return ours == theirs
        return theirs in ("", str(ours))  # "" placeholder timestamps decode to 0
    if isinstance(ours, str):  # ids normalised to str; Decimals re-encode as strings
        return ours == str(theirs) or float(ours) == float(theirs)
    return float(ours) == float(theirs)


@pytest.mark.parametrize(("entry", "body"), _cases())
def test_rest_vector(entry: dict[str, Any], body: dict[str, Any] | None) -> None:
    if body is None:
        assert entry.get("request_examples")
        assert match(entry["method"], entry["path"]) is not None
        return
    ep = _endpoint_for(entry, body)
    raw = json.dumps(body).encode()
    if "success" not in body:  # a docs excerpt of ``data`` only
        with pytest.raises(ProtocolDriftError, match="not a §2 envelope"):
            decode_response(ep, raw)
        _check_typed(ep, body, decode_data(ep, raw))
        return
    code = body.get("code", 0)
    if body["success"] is False and code in ep.ok_codes:  # docs placeholder
        with pytest.raises(ProtocolDriftError, match="contradicts itself"):
            decode_response(ep, raw)
        value = decode_response(ep, raw, trust_code=True)
        _check_typed(ep, body.get("data"), value)
        return
    if body["success"] is False:
        with pytest.raises(ApiError) as info:
            decode_response(ep, raw)
        assert info.value.code == code
        assert type(info.value) is type(error_from_code(code))
        assert info.value.endpoint == ep.name
        return
    value = decode_response(ep, raw)
    _check_typed(ep, body.get("data"), value)
    assert decode_response(ep.name, raw.decode()) == value  # by name, from str


def test_every_vector_path_resolves() -> None:
    for e in ENTRIES:
        if e["method"] != "*":
            assert match(e["method"], e["path"]) is not None, e["path"]


def test_code_200_quirk_only_on_its_endpoint() -> None:
    body = b'{"success":true,"code":200,"message":"success","data":[{"id":1}]}'
    assert decode_response("contract_fee_discount_config", body) == [{"id": 1}]
    with pytest.raises(ProtocolDriftError):
        decode_response("account_assets", body)


def test_changed_shape_names_endpoint_and_field() -> None:
    body = b'{"success":true,"code":0,"data":{"orderId":{"x":1},"ts":5}}'
    with pytest.raises(ProtocolDriftError) as info:
        decode_response("order_create", body)
    assert "order_create" in str(info.value)
    assert "data.orderId" in str(info.value)
    missing = b'{"success":true,"code":0,"data":{"asks":[],"bids":[]}}'
    with pytest.raises(ProtocolDriftError, match="version"):
        decode_response("depth", missing)
    with pytest.raises(ProtocolDriftError, match="no 'data'"):
        decode_response("depth", b'{"success":true,"code":0}')


def test_void_calls_and_tolerated_variants() -> None:
    assert decode_response("order_cancel_all", b'{"success":true,"code":0}') is None
    assert decode_response("close_all_positions", b'{"success":true,"code":0,"data":[]}') is None
    page = (
        b'{"success":true,"code":0,"data":{"pageSize":1,"totalCount":1,"totalPage":1,'
        b'"currentPage":1,"resultList":[{"orderId":5,"symbol":"A","price":"1.5","vol":1,'
        b'"side":1,"orderType":1,"state":2,"createTime":"1700000000000"}]}}'
    )
    got = decode_response("history_orders", page)
    assert isinstance(got, rest.Page)
    order = got.result_list[0]
    assert (order.order_id, order.create_time, str(order.price)) == ("5", 1700000000000, "1.5")


def test_envelope_errors() -> None:
    with pytest.raises(ProtocolDriftError):
        decode_response("ping", b'{"success":"yes","code":0,"data":1}')
    with pytest.raises(ProtocolDriftError):
        decode_response("ping", b'{"success":true,"code":"0","data":1}')
    with pytest.raises(ProtocolDriftError):
        decode_response("ping", b"[1]")
    from mexc_futures.errors import MalformedFrame

    with pytest.raises(MalformedFrame):
        decode_response("ping", b"<html>Access Denied</html>")
    with pytest.raises(ApiError) as err:
        decode_response("depth", b'{"success":false,"code":1001}')
    assert err.value.code == 1001

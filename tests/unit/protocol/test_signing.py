"""Signing (spec §3): every case of vectors/signing.json, canonicaliser properties, verification."""

from __future__ import annotations

import enum
import json
import pickle
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mexc_futures.errors import ConfigError
from mexc_futures.protocol import signing as S
from tests.conftest import load_vectors

VEC = load_vectors("signing.json")
META = VEC["_meta"]
SIGNER = S.Signer(META["apiKey"], META["secretKey"])
CASES = {case["name"]: case for case in VEC["cases"]}
GET_CASES = [c for c in VEC["cases"] if c.get("method") == "GET"]
POST_CASES = [c for c in VEC["cases"] if c.get("method") == "POST"]


@pytest.mark.parametrize("case", GET_CASES, ids=lambda c: c["name"])
def test_get_vectors(case: dict[str, Any]) -> None:
    params = case["business_params"]
    query, sig = SIGNER.sign_get(case["request_time"], params)
    assert query == case["url_query_sent"] == case["param_string_encoded"]
    # fidelity row 16: signed over raw values like the 2026 demo SDKs, sent encoded
    raw = S.canonical_query(params, encode=False)
    assert raw == case.get("param_string_raw", case["param_string_encoded"])
    assert S.get_signing_string(query) == raw
    raw_sig = SIGNER.sign(case["request_time"], raw)
    assert raw_sig == case.get("signature_raw", case["signature_encoded"])
    assert sig == raw_sig
    assert SIGNER.sign(case["request_time"], query) == case["signature_encoded"]
    # emulator accepts both variants, rejects anything else
    assert S.verify_get(SIGNER, case["request_time"], params, sig)
    assert S.verify_get(SIGNER, case["request_time"], params, case["signature_encoded"])
    assert not S.verify_get(SIGNER, case["request_time"], params, "0" * 64)
    # the emulator's one-reading switch (VenueRules.get_signing)
    enc = case["signature_encoded"]
    differs = raw_sig != enc
    assert S.verify_get(SIGNER, case["request_time"], params, raw_sig, accept="raw")
    assert S.verify_get(SIGNER, case["request_time"], params, enc, accept="raw") is not differs
    assert S.verify_get(SIGNER, case["request_time"], params, enc, accept="encoded")
    assert S.verify_get(SIGNER, case["request_time"], params, raw_sig, accept="encoded") is not (
        differs
    )
    assert not S.verify_get(SIGNER, "1700000000001", params, sig)


@pytest.mark.parametrize("case", POST_CASES, ids=lambda c: c["name"])
def test_post_vectors(case: dict[str, Any]) -> None:
    body = case["raw_body"]
    sig = SIGNER.sign_post(case["request_time"], body)
    assert sig == case["signature"] == case["headers"]["Signature"]
    assert SIGNER.sign_post(case["request_time"], body.encode()) == sig
    assert SIGNER.sign(case["request_time"], body) == sig
    assert S.verify_post(SIGNER, case["request_time"], body.encode(), sig)
    # whitespace is significant: a re-serialised body must not verify
    if body:
        other = json.dumps(json.loads(body), separators=(", ", ": ") if "," in body else None)
        if other != body:
            assert not S.verify_post(SIGNER, case["request_time"], other.encode(), sig)


def test_post_compact_and_spaced_differ() -> None:
    compact = CASES["POST order/create, compact JSON"]
    spaced = CASES["POST order/create, same body with python json.dumps default separators"]
    assert json.loads(compact["raw_body"]) == json.loads(spaced["raw_body"])
    assert compact["signature"] != spaced["signature"]
    assert not S.verify_post(
        SIGNER, "1700000000000", spaced["raw_body"].encode(), compact["signature"]
    )


def test_empty_post_body_signs_like_no_params() -> None:
    assert (
        SIGNER.sign_post("1700000000000", b"")
        == CASES["GET, no business params"]["signature_encoded"]
    )


def test_ws_login_vector() -> None:
    case = CASES["WS login"]
    param = SIGNER.ws_login(case["message"]["param"]["reqTime"])
    assert param == case["message"]["param"]
    assert S.verify_ws_login(SIGNER, param["reqTime"], param["signature"])
    assert not S.verify_ws_login(SIGNER, "1700000000001", param["signature"])
    docs = CASES["Docs v1 WS example string (secret unknown)"]
    other = S.Signer(docs["apiKey"], META["secretKey"])
    assert other.ws_login(docs["reqTime"])["signature"] == docs["signature_with_test_secret"]


def test_signature_shape_and_headers() -> None:
    _, sig = SIGNER.sign_get("1700000000000", {"symbol": "BTC_USDT"})
    assert len(sig) == 64
    assert sig == sig.lower()
    headers = SIGNER.auth_headers("1700000000000", sig, recv_window_ms=5000)
    assert headers == {
        "ApiKey": META["apiKey"],
        "Request-Time": "1700000000000",
        "Signature": sig,
        "Content-Type": "application/json",
        "Recv-Window": "5000",
    }
    assert "Recv-Window" not in SIGNER.auth_headers("1", sig)
    # uppercase hex from a client is still accepted by the emulator
    assert S.verify_get(SIGNER, "1700000000000", {"symbol": "BTC_USDT"}, sig.upper())


def test_value_rendering_and_java_encoding() -> None:
    class Side(enum.IntEnum):
        BUY = 1

    params = {
        "b": True,
        "c": False,
        "d": Decimal("1E+2"),
        "e": 0.00001,
        "f": [1, 2],
        "g": Side.BUY,
        "h": "a b+c*~é/",
        "i": None,
    }
    q = S.canonical_query(params)
    assert q == "b=true&c=false&d=100&e=0.00001&f=1%2C2&g=1&h=a%20b%2Bc*%7E%C3%A9%2F"
    assert S.canonical_query(params, plus_for_space=True).endswith("h=a+b%2Bc*%7E%C3%A9%2F")
    assert S.canonical_query(params, encode=False).endswith("h=a b+c*~é/")
    with pytest.raises(TypeError):
        S.canonical_query({"x": object()})


def test_verify_get_accepts_client_variants() -> None:
    params = {"states": "3,4", "note": "a b", "symbol": "BTC_USDT"}
    t = "1700000000000"
    for variant in (
        S.canonical_query(params),
        S.canonical_query(params, plus_for_space=True),
        S.canonical_query(params, encode=False),
        "&".join(f"{k}={quote_plus(v)}" for k, v in sorted(params.items())),  # ccxt urlencode
    ):
        assert S.verify_get(SIGNER, t, params, SIGNER.sign(t, variant)), variant
    # exact received query string, even unsorted
    unsorted = "symbol=BTC_USDT&states=3%2C4&note=a%20b"
    assert S.verify_get(SIGNER, t, params, SIGNER.sign(t, unsorted), raw_query=unsorted)
    assert not S.verify_get(SIGNER, t, params, SIGNER.sign(t, unsorted))


def test_signer_hides_secret_and_rejects_empty() -> None:
    signer = S.Signer("mx0vglTESTaccessKEY01", "topsecretvalue123")
    assert repr(signer) == "Signer(api_key='mx0v…EY01')" == str(signer)
    assert signer.api_key == "mx0vglTESTaccessKEY01"  # pragma: allowlist secret
    assert not hasattr(signer, "__dict__")
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    with pytest.raises(ConfigError):
        S.Signer("", "x")
    with pytest.raises(ConfigError):
        S.Signer("k", "")
    assert S.mask_key("short") == "****"


def test_recv_window_and_time_window() -> None:
    assert S.parse_recv_window(None) == 10_000
    assert S.parse_recv_window("10") == 10_000  # seconds
    assert S.parse_recv_window("60") == 60_000
    assert S.parse_recv_window("5000") == 5_000  # milliseconds
    assert S.parse_recv_window("999999") == 60_000  # capped
    assert S.parse_recv_window("junk") == 10_000
    assert S.parse_recv_window("-5") == 10_000
    now = 1_700_000_000_000
    assert S.request_time_in_window(str(now), now)
    assert S.request_time_in_window(str(now + 2000), now)
    assert not S.request_time_in_window(str(now + 2001), now)
    assert S.request_time_in_window(str(now - 10_000), now)
    assert not S.request_time_in_window(str(now - 10_001), now)
    assert S.request_time_in_window(str(now - 30_000), now, 60_000)
    assert not S.request_time_in_window("abc", now)


# --- property tests -------------------------------------------------------------------------

_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=20),
    st.decimals(allow_nan=False, allow_infinity=False, places=6),
)
_params = st.dictionaries(_keys, _values, max_size=8)


@settings(max_examples=150, deadline=None)
@given(_params, st.randoms(use_true_random=False))
def test_ordering_independence(params: dict[str, object], rnd: Any) -> None:
    items = list(params.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    assert S.canonical_query(shuffled) == S.canonical_query(params)
    assert SIGNER.sign_get("1", shuffled) == SIGNER.sign_get("1", params)


@settings(max_examples=150, deadline=None)
@given(_params)
def test_nulls_dropped(params: dict[str, object]) -> None:
    without = {k: v for k, v in params.items() if v is not None}
    assert S.canonical_query(params) == S.canonical_query(without)
    q = S.canonical_query(params)
    keys = [part.split("=", 1)[0] for part in q.split("&")] if q else []
    assert keys == sorted(without)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_encoded_values_round_trip(text: str) -> None:
    encoded = S.encode_value(text)
    assert unquote(encoded, errors="strict") == text
    assert set(encoded) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*%"
    )
    # hex digits upper-case
    for i, ch in enumerate(encoded):
        if ch == "%":
            assert encoded[i + 1 : i + 3] == encoded[i + 1 : i + 3].upper()
    plus = S.encode_value(text, plus_for_space=True)
    assert unquote(plus.replace("+", " ")) == text


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(_keys, st.text(max_size=15), max_size=6))
def test_query_parses_back_to_params(params: dict[str, str]) -> None:
    q = S.canonical_query(params)
    assert dict(parse_qsl(q, keep_blank_values=True)) == params
    assert S.verify_get(SIGNER, "7", params, SIGNER.sign_get("7", params)[1])

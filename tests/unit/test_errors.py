"""Error tree: every spec §6 code mapped, flags, messages, escaping (spec §2, §6)."""

from __future__ import annotations

import pickle

import pytest

from mexc_futures import errors as E
from tests.conftest import load_vectors

# spec §6.1 table (except 0 = success) plus the extra codes
SPEC_CODES = [
    9999, 500, 501, 401, 402, 406, 506, 510, 511, 513, 600, 601, 602, 603, 701, 702, 703, 704,
    1000, 1001, 1002, 1003, 1004, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2011,
    2013, 2014, 2015, 2016, 2018, 2019, 2021, 2022, 2023, 2024, 2025, 2026, 2027, 2028, 2029,
    2030, 2031, 2032, 2033, 2034, 2035, 2036, 2037, 2038, 3001, 3002, 3003, 3004, 4001, 5001,
    5002, 5003, 5004, 6001, 6002, 6003, 6004, 6005,
]  # fmt: skip
EXTRA_CODES = [2040, 2041, 8817, 604, 801]
FATAL = {401, 402, 406, 602, 701, 702, 703, 704}


@pytest.mark.parametrize("code", SPEC_CODES + EXTRA_CODES)
def test_every_code_has_a_specific_class(code: int) -> None:
    err = E.error_from_code(code, "x")
    assert type(err) is E.ERROR_CODES[code]
    assert not isinstance(err, E.UnknownApiError)
    assert err.code == code
    assert err.what_to_do
    assert "spec §6.1 for this code" not in err.what_to_do
    assert isinstance(err, E.ApiError)
    assert isinstance(err, E.MexcError)


def test_table_has_no_codes_outside_the_spec() -> None:
    assert set(E.ERROR_CODES) == set(SPEC_CODES + EXTRA_CODES)


def test_fatal_config_is_exactly_the_auth_and_permission_codes() -> None:
    fatal = {code for code, cls in E.ERROR_CODES.items() if cls.fatal_config}
    assert fatal == FATAL
    for code in FATAL:
        assert not E.ERROR_CODES[code].retryable


def test_rate_limit_and_clock_skew_are_retryable() -> None:
    assert E.error_from_code(510).retryable
    assert isinstance(E.error_from_code(510), E.RateLimitError)
    skew = E.error_from_code(513)
    assert isinstance(skew, E.ClockSkewError)
    assert skew.retryable
    assert skew.remeasure_clock
    assert not skew.fatal_config


@pytest.mark.parametrize("code", [500, 501, 9999])
def test_server_errors_fate_unknown_for_writes_only(code: int) -> None:
    default = E.error_from_code(code)
    assert isinstance(default, E.ServerError)
    assert default.fate_unknown
    assert not default.retryable
    write = E.error_from_code(code, state_changing=True)
    assert write.fate_unknown
    assert not write.retryable
    read = E.error_from_code(code, state_changing=False)
    assert read.retryable
    assert not read.fate_unknown
    # refining one instance never changes the class flags
    assert E.ERROR_CODES[code].fate_unknown


def test_http_status_errors() -> None:
    err = E.error_from_http_status(503, "<html>down</html>", endpoint="order/create")
    assert isinstance(err, E.EdgeServerError)
    assert isinstance(err, E.ServerError)
    assert err.fate_unknown
    assert err.code == 503
    assert err.http_status == 503
    assert "[HTTP 503]" in str(err)
    assert E.error_from_http_status(502, state_changing=False).retryable
    assert isinstance(E.error_from_http_status(429), E.RateLimitError)
    forbidden = E.error_from_http_status(403, "Access Denied")
    assert isinstance(forbidden, E.EdgeError)
    assert not forbidden.retryable


@pytest.mark.parametrize("code", [1002, 604, 801, 6001, 6002])
def test_trading_disabled_family(code: int) -> None:
    assert isinstance(E.error_from_code(code), E.TradingDisabledError)


def test_maintenance_and_families() -> None:
    assert isinstance(E.error_from_code(604), E.MaintenanceError)
    assert isinstance(E.error_from_code(801), E.MaintenanceError)
    assert isinstance(E.error_from_code(2005), E.InsufficientBalanceError)
    assert isinstance(E.error_from_code(2005), E.OrderRejectedError)
    assert isinstance(E.error_from_code(1001), E.UnknownSymbolError)
    assert isinstance(E.error_from_code(401), E.AuthError)
    assert isinstance(E.error_from_code(703), E.PermissionError_)
    assert isinstance(E.error_from_code(2040), E.OrderNotFoundError)
    assert isinstance(E.error_from_code(2041), E.OrderNotCancellableError)


def test_messages_say_what_to_do() -> None:
    sig = str(E.error_from_code(602, "Signature verification failed!"))
    assert "MEXC_API_SECRET" in sig
    assert "byte-for-byte" in sig
    assert "whitelist" in str(E.error_from_code(406))
    perms = {code: str(E.error_from_code(code)) for code in (701, 702, 703, 704)}
    assert "'Read'" in perms[701]
    assert "Account modify" in perms[702]
    assert "trade read" in perms[703]
    assert "order placing" in perms[704]
    for code in (2011, 2015):
        text = str(E.error_from_code(code))
        assert "volUnit" in text
        assert "priceUnit" in text
        assert "minVol" in text
    assert "apiAllowed" in str(E.error_from_code(1002))
    assert "ping" in str(E.error_from_code(513))


def test_unknown_code() -> None:
    err = E.error_from_code(4242, "odd", endpoint="x")
    assert type(err) is E.UnknownApiError
    assert not err.retryable
    assert not err.fate_unknown
    assert not err.fatal_config
    assert "4242" in str(err)
    assert "unrecognised" in str(err)
    assert "4242" in E.describe_code(4242)


def test_describe_code() -> None:
    text = E.describe_code(602)
    assert text.startswith("602 SignatureError [fatal_config]")
    assert "MEXC_API_SECRET" in text
    assert "[retryable]" in E.describe_code(510)


def test_exchange_text_is_escaped() -> None:
    nasty = "bad\x1b[31mred\r\nfake log line\x00\u202e"
    err = E.error_from_code(600, nasty, endpoint="p\nq")
    text = str(err)
    assert all(ch.isprintable() for ch in text)
    assert "\\x1b" in text
    assert "\\u202e" in text
    assert err.raw_message == nasty
    assert err.message == E.escape_exchange_text(nasty)
    assert "\n" not in repr(err)
    long = E.escape_exchange_text("a" * 1000)
    assert len(long) <= 301
    assert long.endswith("…")


def test_chinese_message_kept_and_translated() -> None:
    text = str(E.error_from_code(602, "签名验证失败!"))
    assert "签名验证失败!" in text
    assert "Signature verification failed" in text


def test_order_error_codes() -> None:
    assert set(range(22)) <= set(E.ORDER_ERROR_CODES)
    assert E.ORDER_ERROR_CODES[2] == "insufficient_balance"
    assert E.ORDER_ERROR_CODES[20] == "post_only_cancel"
    with pytest.raises(TypeError):
        E.ORDER_ERROR_CODES[0] = "x"  # type: ignore[index]


def test_pickle_round_trip_keeps_class_and_fields() -> None:
    err = E.error_from_code(2005, "Insufficient balance!", endpoint="order/create")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is E.InsufficientBalanceError
    assert (back.code, back.raw_message, back.endpoint) == (
        2005,
        "Insufficient balance!",
        err.endpoint,
    )


def test_other_errors() -> None:
    v = E.ValidationError("too small", field="vol", limit="minVol=1", nearest=1)
    assert (v.field, v.limit, v.nearest) == ("vol", "minVol=1", 1)
    t = E.TransportError("timeout", endpoint="order/create")
    assert t.fate_unknown
    assert not E.TransportError("refused", fate_unknown=False).fate_unknown
    for cls in (E.ConfigError, E.ProtocolDriftError, E.KillSwitchActive):
        assert issubclass(cls, E.MexcError)


def test_error_codes_in_rest_vectors_are_mapped() -> None:
    entries = load_vectors("rest_responses.json")["entries"]
    seen = 0
    for entry in entries:
        body = entry.get("response")
        if isinstance(body, dict) and body.get("success") is False and body.get("code"):
            err = E.error_from_code(body["code"], body.get("message", ""), endpoint=entry["path"])
            assert not isinstance(err, E.UnknownApiError), entry["path"]
            seen += 1
    assert seen >= 3


def test_code_table_names_resolve_to_api_error_classes() -> None:
    """``error_codes`` is data: every class name in it resolves, and a bad name fails loudly."""
    from mexc_futures.protocol import error_codes

    assert set(E.ERROR_CODES) == set(error_codes.CODE_TABLE)
    for code, (name, meaning, _hint) in error_codes.CODE_TABLE.items():
        assert E.ERROR_CODES[code].__name__ == name
        assert meaning in str(E.error_from_code(code))
    assert E._class_named("RateLimitError") is E.RateLimitError
    for bad in ("MexcError", "NoSuchError", "Decimal"):
        with pytest.raises(TypeError, match=bad):
            E._class_named(bad)

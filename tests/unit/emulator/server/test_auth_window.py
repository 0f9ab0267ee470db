"""``auth.in_window`` / ``auth.login``: the window is real time, scaled by the emulator's speed."""

from __future__ import annotations

from mexc_futures.emulator.server import auth
from mexc_futures.protocol.signing import request_time_in_window

NOW = 1_789_000_000_000


def _keys() -> tuple[auth.KeyTable, auth.ApiKey]:
    keys = auth.KeyTable()
    return keys, keys.add("mx0vglKEY", "secret-0001")


def test_login_two_real_seconds_late_at_speed_20_is_accepted() -> None:
    keys, key = _keys()
    rt = str(NOW - 2_000 * 20)
    param = key.signer.ws_login(rt)
    account, err = auth.login(keys, "mx0vglKEY", rt, param["signature"], NOW, window_scale=20)
    assert (account, err) == ("mx0vglKEY", None)


def test_login_beyond_the_window_is_refused_at_speed_1_and_20() -> None:
    keys, key = _keys()
    for scale in (1.0, 20.0):
        rt = str(NOW - int(11_000 * scale))
        param = key.signer.ws_login(rt)
        account, err = auth.login(keys, "mx0vglKEY", rt, param["signature"], NOW,
                                  window_scale=scale)
        assert account is None
        assert err is not None
        assert "window" in err


def test_scale_1_is_the_protocol_check() -> None:
    for offset in (-12_000, -10_000, -9_999, 0, 1_999, 2_000, 2_001, 3_000):
        rt = str(NOW + offset)
        assert auth.in_window(rt, NOW) == request_time_in_window(rt, NOW), offset
    assert not auth.in_window("12x", NOW, window_scale=20)
    assert auth.in_window(str(NOW + 2_000 * 20), NOW, window_scale=20)
    assert not auth.in_window(str(NOW + 2_001 * 20), NOW, window_scale=20)

"""Bases and control frames of the WebSocket protocol (spec §7.2–§7.7).

``Frame`` is the base of every tagged frame (routed on ``channel``, §7.4; ``ts`` in ms, numeric
strings accepted); ``PublicFrame`` adds the top-level ``symbol`` of public pushes; ``Payload`` is
the base of hot-path ``data`` structs (camelCase, no normalisation hook, not tracked by the GC).
``SubAck`` / ``UnsubAck`` / ``Unknown`` are not tagged: their channel is open.
"""

from __future__ import annotations

from typing import Any

import msgspec


class Payload(msgspec.Struct, frozen=True, kw_only=True, rename="camel", gc=False):
    """Base of hot-path payloads: no normalisation hook, cheap to build."""


class Frame(msgspec.Struct, frozen=True, kw_only=True, tag_field="channel", gc=False):
    """Base of tagged frames; ``ts`` is the push time in ms (numeric strings accepted)."""

    ts: int = 0

    @property
    def channel(self) -> str:
        """The frame's ``channel`` (its tag)."""
        tag = self.__struct_config__.tag
        assert isinstance(tag, str)
        return tag


class PublicFrame(Frame, frozen=True, kw_only=True):
    """Public push: routed on ``channel`` then top-level ``symbol`` (absent on ``push.tickers``)."""

    symbol: str = ""


# ---------------------------------------------------------------- control frames (§7.2–§7.7)


class Pong(Frame, frozen=True, kw_only=True, tag="pong"):
    """``{"channel":"pong","data":<server ms>}`` (§7.2)."""

    data: int


class RsError(Frame, frozen=True, kw_only=True, tag="rs.error"):
    """``rs.error``: text such as ``Contract [X] not exists`` (§7.3, §7.6)."""

    data: str | dict[str, Any]


class LoginAck(Frame, frozen=True, kw_only=True, tag="rs.login"):
    """``rs.login``; ``data`` is ``"success"`` or (defensively) an object ``{code, msg}`` (§7.6)."""

    data: str | dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when the login succeeded."""
        return self.data == "success"


class FilterAck(Frame, frozen=True, kw_only=True, tag="rs.personal.filter"):
    """``rs.personal.filter`` ack (§7.7)."""

    data: str | None = None


class SubAck(msgspec.Struct, frozen=True, kw_only=True):
    """``rs.sub.<channel>`` ack; names no symbol (§7.3). ``data`` is ``"success"`` live."""

    channel: str
    data: Any = None
    ts: int = 0

    @property
    def topic(self) -> str:
        """The subscribed channel, e.g. ``depth`` for ``rs.sub.depth``."""
        return self.channel.split(".", 2)[2]


class UnsubAck(SubAck, frozen=True, kw_only=True):
    """``rs.unsub.<channel>`` ack; disputed to exist at all (§7.3), never waited on."""


class Unknown(msgspec.Struct, frozen=True):
    """A frame whose channel this codec does not know; ``raw`` is the frame text, unparsed."""

    channel: str
    raw: str


__all__ = [
    "FilterAck",
    "Frame",
    "LoginAck",
    "Payload",
    "Pong",
    "PublicFrame",
    "RsError",
    "SubAck",
    "Unknown",
    "UnsubAck",
]

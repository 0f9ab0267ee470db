"""Bases of the tolerant wire structs shared by ``protocol.rest_*`` and ``protocol.ws_*`` (spec §2).

Contract (docs/codec.md, "Tolerance rules"):

* ``WireId``: an id that arrives as a JSON number **or** a string; a ``Wire`` subclass that lists
  the field in ``_IDS`` exposes it as ``str``;
* ``WireTs``: a ms timestamp that arrives as a number or a digit string; listed in ``_TS`` it is
  exposed as ``int`` (the docs' placeholder ``""`` becomes ``0``); anything else is drift
  (``ValueError`` inside decoding, reported by the codec as ``ProtocolDriftError``);
* ``Wire``: frozen, keyword-only, snake_case in Python and camelCase on the wire; unknown fields
  are ignored. The normalisation runs in ``__post_init__``;
* ``Page``: the §2 pagination object; ``BareId`` marks a ``data`` that is a bare id; ``AnyData``
  marks a ``data`` no source pins down (plain JSON values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import msgspec
from msgspec.structs import force_setattr

if TYPE_CHECKING:
    WireId = str
    WireTs = int
else:  # what msgspec decodes; ``Wire.__post_init__`` normalises
    WireId = int | str
    WireTs = int | str

T = TypeVar("T")


def _norm_ts(value: object) -> int:
    """Timestamp normalisation: int stays; ``""`` -> 0; a decimal-digit string -> int."""
    if value.__class__ is int:
        return value
    if isinstance(value, str):
        if value == "":
            return 0
        if value.isdigit():
            return int(value)
    raise ValueError(f"expected a ms timestamp (number or digit string), found {value!r}")


class Wire(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Base of tolerant wire structs; subclasses list id / timestamp fields to normalise."""

    _IDS: ClassVar[tuple[str, ...]] = ()
    _TS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self._IDS:
            value = getattr(self, name)
            if value.__class__ is int:
                force_setattr(self, name, str(value))
        for name in self._TS:
            value = getattr(self, name)
            if value is not None and value.__class__ is not int:
                force_setattr(self, name, _norm_ts(value))


class BareId:
    """Marker response type: ``data`` is a bare id (number or string), returned as ``str``."""


class Page(Wire, Generic[T], frozen=True, kw_only=True):
    """Pagination object of history endpoints (spec §2)."""

    page_size: int
    total_count: int
    total_page: int
    current_page: int
    result_list: list[T]


#: Response type of endpoints whose ``data`` no source pins down (returned as plain JSON values).
AnyData = Any

__all__ = ["AnyData", "BareId", "Page", "T", "Wire", "WireId", "WireTs"]

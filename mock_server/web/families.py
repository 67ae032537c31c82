"""Route families: which error dialect a path speaks, decided by its prefix.

The default table is Fanfare's: `/api/v1` (guide), `/api` (reference), everything else (the mock's own
document). `build_app(families=...)` takes another table; the longest matching prefix wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .envelopes import DetailsEnvelope, Envelope, IssuesEnvelope

__all__ = ["DEFAULT_FAMILIES", "Families", "Family"]


@dataclass(frozen=True, slots=True)
class Family:
    """`prefix` matches at a segment boundary (`/api/v1` and `/api/v1/...`); "" matches every path."""

    name: str
    prefix: str
    envelope: Envelope


DEFAULT_FAMILIES: tuple[Family, ...] = (
    Family("v1", "/api/v1", DetailsEnvelope()),
    Family("api", "/api", IssuesEnvelope()),
    Family("mock", "", DetailsEnvelope()),
)


class Families:
    __slots__ = ("_by_name", "_ordered")

    def __init__(self, families: Sequence[Family] = DEFAULT_FAMILIES) -> None:
        if not any(family.prefix == "" for family in families):
            raise ValueError('the family table needs a catch-all family (prefix "")')
        self._ordered = sorted(families, key=lambda family: len(family.prefix), reverse=True)
        self._by_name = {family.name: family for family in families}

    def of(self, path: str) -> Family:
        for family in self._ordered:
            prefix = family.prefix
            if not prefix or path == prefix or path.startswith(prefix + "/"):
                return family
        raise AssertionError("unreachable: a catch-all family exists")

    def named(self, name: str) -> Family:
        return self._by_name[name]

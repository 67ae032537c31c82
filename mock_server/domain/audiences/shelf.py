"""`AudienceShelf`: an organization's stored audiences as plain tuples of atoms, read back as `Audience`.

Why: every object the cyclic collector tracks is walked by each full (gen-2) collection, and a
`slots` dataclass is always tracked, frozen or not. Stored as `Audience` + a tuple of `Rule`s, each
audience cost four tracked objects, so a create flood of 100,000 audiences made every full collection
walk half a million objects (120 to 490 ms of event loop each, measured under wrk; issue 10, "No
stalls"). A tuple holding only atoms (str, int, None, datetime, a tuple of atoms) is untracked by
CPython at its first collection, so here an audience costs no tracked object unless its metadata nests
a container. Enums are stored by value (their members are tracked objects) and restored on read.
A read builds a fresh, equal `Audience` (about 2 microseconds); the metadata mapping is the same one.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from mock_server.domain.audiences.audience import Audience, AudienceType, GroupType
from mock_server.domain.audiences.rules import Operator, Rule

Record = tuple[Any, ...]

_FIELDS = Audience.__match_args__
_TYPE = _FIELDS.index("type")
_GROUP_TYPE = _FIELDS.index("group_type")
_RULES = _FIELDS.index("rules")
_AUDIENCE_TYPES = {t.value: t for t in AudienceType}
_GROUP_TYPES = {t.value: t for t in GroupType}
_OPERATORS = {o.value: o for o in Operator}


def pack(audience: Audience) -> Record:
    """The audience as ONE flat tuple of atoms: its fields in order (enums by value), the rules' count
    in the place of `rules`, then each rule as id, audience id, field, operator, group id, position,
    the number of values and the values.

    Flat, because CPython untracks a tuple only when its items are untracked already, and nested new
    tuples come out one level per collection: flat, the record leaves the collector at its first."""
    record = [getattr(audience, name) for name in _FIELDS]
    record[_TYPE] = audience.type.value
    record[_GROUP_TYPE] = None if audience.group_type is None else audience.group_type.value
    record[_RULES] = len(audience.rules)
    for r in audience.rules:
        record += (r.id, r.audience_id, r.field, r.operator.value, r.group_id, r.position, len(r.values))
        record += r.values
    return tuple(record)


def unpack(record: Record) -> Audience:
    """The `Audience` that `pack` stored."""
    values = list(record[: len(_FIELDS)])
    values[_TYPE] = _AUDIENCE_TYPES[record[_TYPE]]
    group_type = record[_GROUP_TYPE]
    values[_GROUP_TYPE] = None if group_type is None else _GROUP_TYPES[group_type]
    rules = []
    at = len(_FIELDS)
    for _ in range(record[_RULES]):
        rule_id, audience_id, field, operator, group_id, position, count = record[at : at + 7]
        at += 7 + count
        rule_values = record[at - count : at]
        rules.append(Rule(rule_id, audience_id, field, _OPERATORS[operator], rule_values, group_id, position))
    values[_RULES] = tuple(rules)
    return Audience(*values)


class AudienceShelf(MutableMapping[str, Audience]):
    """Audiences by id, in insertion order, stored packed (see the module)."""

    __slots__ = ("_records",)

    def __init__(self) -> None:
        self._records: dict[str, Record] = {}

    def __getitem__(self, audience_id: str) -> Audience:
        return unpack(self._records[audience_id])

    def __setitem__(self, audience_id: str, audience: Audience) -> None:
        self._records[audience_id] = pack(audience)

    def __delitem__(self, audience_id: str) -> None:
        del self._records[audience_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, audience_id: object) -> bool:
        return audience_id in self._records

    def records(self) -> list[Record]:
        """The stored tuples, in order (what the collector sees)."""
        return list(self._records.values())

"""Consumer metadata as one categorical column per key: int32 codes into a pool of distinct values.

Metadata values are JSON scalars or arrays of scalars; rules on `metadata.<key>` evaluate once per
distinct value and gather the answer through the codes, so they cost one array lookup per consumer. A
column's codes may stop short of the table (positions past them read MISSING): consumers appended without
that key cost it nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

MISSING = -1
#: The pool keys of the plain types, as `_intern_key` tags them (exact types: a bool is not an int here).
_PLAIN_TAGS: dict[type, str] = {str: "s", int: "n"}
#: Over this many distinct keys in one bulk fill, records are set one by one instead.
_BULK_KEYS = 64
_ABSENT = object()


def _intern_key(value: Any) -> tuple[str, Any]:
    # True == 1 and hash(True) == hash(1): tag the type so a bool never shares a pool slot with a number
    kind = type(value)
    if kind is str:  # the common cases first, by exact type (a bool is not exactly an int)
        return ("s", value)
    if kind is int:
        return ("n", value)
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n" if isinstance(value, int) else "f", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list | tuple):
        return ("l", tuple([("s", v) if type(v) is str else _intern_key(v) for v in value]))
    if value is None:
        return ("z", None)
    raise TypeError(f"metadata values are scalars or arrays of scalars, not {type(value).__name__}")


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class MetadataColumn:
    """The values of one metadata key across consumers (codes past the end of `codes` are MISSING)."""

    __slots__ = ("codes", "index", "pool", "shared")

    def __init__(self, codes: npt.NDArray[np.int32], pool: list[Any], *, shared: bool = False) -> None:
        self.codes = codes
        self.pool = pool  # distinct values; arrays are kept as tuples
        self.index = {_intern_key(v): i for i, v in enumerate(pool)}
        self.shared = shared

    def code_for(self, value: Any) -> int:
        key = _intern_key(value)
        code = self.index.get(key)
        if code is None:
            if self.shared:  # the pool belongs to a pristine base too: take a private copy first
                self.pool = list(self.pool)
                self.index = dict(self.index)
            code = self.index[key] = len(self.pool)
            self.pool.append(_frozen(value))
        return code

    def codes_for(self, values: Sequence[Any]) -> list[int]:
        """`code_for` of each value; values of one plain type (str or int) are looked up in one C pass."""
        index = self.index
        kinds = set(map(type, values))
        kind = kinds.pop() if len(kinds) == 1 else None
        if kind is not None and (tag := _PLAIN_TAGS.get(kind)) is not None:
            codes = list(map(index.get, zip(itertools.repeat(tag), values)))
        elif kind is list and set(map(type, itertools.chain.from_iterable(values))) <= {str}:
            # arrays of strings (tags): a pool key built once per distinct array, not once per value
            arrays = list(map(tuple, values))
            known = {a: index.get(("l", tuple(zip(itertools.repeat("s"), a)))) for a in dict.fromkeys(arrays)}
            codes = list(map(known.__getitem__, arrays))
        else:
            codes = [index.get(_intern_key(v)) for v in values]
        if None in codes:  # values new to the pool
            code_for = self.code_for
            return [code_for(v) if c is None else c for v, c in zip(values, codes, strict=True)]
        return codes  # type: ignore[return-value]  # no None left

    def code_at(self, position: int) -> int:
        codes = self.codes
        return int(codes[position]) if position < len(codes) else MISSING

    def codes_at(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        """The codes at `positions` (a copy)."""
        codes = self.codes
        if not len(positions) or int(positions.max()) < len(codes):
            return codes[positions]
        inside = positions < len(codes)
        out = np.full(len(positions), MISSING, dtype=np.int32)
        out[inside] = codes[positions[inside]]
        return out

    def first(self, length: int) -> npt.NDArray[np.int32]:
        """The codes of positions 0 to `length` - 1 (read only)."""
        codes = self.codes
        if len(codes) >= length:
            return codes[:length]
        out = np.full(length, MISSING, dtype=np.int32)
        out[: len(codes)] = codes
        return out

    def writable_codes(self, length: int = 0) -> npt.NDArray[np.int32]:
        """The codes, this column's own and holding at least `length` positions (grown by half)."""
        size = len(self.codes)
        if self.shared or size < length:
            capacity = size if size >= length else max(length, size + size // 2)
            codes = np.full(capacity, MISSING, dtype=np.int32)
            codes[:size] = self.codes
            self.codes = codes
            if self.shared:
                self.pool = list(self.pool)
                self.index = dict(self.index)
                self.shared = False
        return self.codes

    def forked(self) -> MetadataColumn:
        column = MetadataColumn.__new__(MetadataColumn)
        column.codes, column.pool, column.index, column.shared = self.codes, self.pool, self.index, True
        return column


class MetadataStore:
    """All metadata keys of one table. `fork` gives a copy-on-write view for a fresh table."""

    def __init__(self, length: int = 0, columns: Mapping[str, MetadataColumn] | None = None) -> None:
        self._len = length
        self._columns: dict[str, MetadataColumn] = dict(columns or {})

    @classmethod
    def from_codes(
        cls, length: int, columns: Mapping[str, tuple[npt.NDArray[np.int32], Sequence[Any]]]
    ) -> MetadataStore:
        return cls(
            length,
            {k: MetadataColumn(codes, [_frozen(v) for v in pool]) for k, (codes, pool) in columns.items()},
        )

    def fork(self) -> MetadataStore:
        return MetadataStore(self._len, {k: c.forked() for k, c in self._columns.items()})

    def keys(self) -> list[str]:
        return list(self._columns)

    def has(self, key: str) -> bool:
        return key in self._columns

    def column(self, key: str) -> tuple[npt.NDArray[np.int32], Sequence[Any]] | None:
        column = self._columns.get(key)
        if column is None:
            return None
        return column.first(self._len), column.pool

    def resize(self, length: int) -> None:
        """Hold `length` consumers: new positions have no metadata; a shrink (an append undone) forgets
        what positions past `length` were given."""
        if length < self._len:
            for column in self._columns.values():
                tail = column.codes[length:]
                if len(tail) and bool((tail != MISSING).any()):
                    column.writable_codes()[length:] = MISSING
        self._len = length

    def snapshot(self, positions: npt.NDArray[np.int64]) -> MetadataRows:
        """The metadata of `positions` as it is now (their codes copied; pools only ever grow)."""
        return MetadataRows(
            [(k, c.codes_at(positions), c.pool) for k, c in self._columns.items()], len(positions)
        )

    def record(self, position: int) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for key, column in self._columns.items():
            code = column.code_at(position)
            if code != MISSING:
                value = column.pool[code]
                out[key] = list(value) if isinstance(value, tuple) else value
        return out or None

    def fill_new(self, start: int, records: Sequence[Mapping[str, Any] | None]) -> None:
        """Set the metadata of positions `start`, `start + 1`... that have none yet (new consumers).

        The bulk form of `set_record` for fresh positions, key by key rather than consumer by consumer:
        a key's codes are found with one C-level pass when its values are all strings or all ints.
        Codes first, writes after: a value no column can hold (TypeError) leaves nothing behind but
        unreferenced pool entries. New keys become columns in order of first appearance, as they would
        one record at a time.
        """
        given = [(position, m) for position, m in enumerate(records, start) if m]
        if not given:
            return
        dicts = [m for _, m in given]
        keys = list(dict.fromkeys(itertools.chain.from_iterable(dicts)))
        if len(keys) > _BULK_KEYS:  # sparse keys: a pass per key would cost keys x records
            for position, metadata in given:
                self.set_record(position, metadata)
            return
        planned = []
        for key in keys:
            values = [m.get(key, _ABSENT) for m in dicts]
            if values.count(_ABSENT):
                positions = [p for (p, _), v in zip(given, values, strict=True) if v is not _ABSENT]
                values = [v for v in values if v is not _ABSENT]
            else:
                positions = [p for p, _ in given]
            column = self._columns.get(key)
            if column is None:
                column = _new_column()
            column.writable_codes(positions[-1] + 1)  # private codes and pool before the pool grows
            planned.append((key, column, positions, column.codes_for(values)))
        for key, column, positions, codes in planned:
            self._columns.setdefault(key, column)
            column.codes[positions] = codes

    def set_record(self, position: int, metadata: Mapping[str, Any] | None) -> None:
        """Replace one consumer's whole metadata object (None or {} clears it)."""
        metadata = metadata or {}
        for key, column in self._columns.items():
            if key not in metadata and column.code_at(position) != MISSING:
                column.writable_codes()[position] = MISSING
        for key, value in metadata.items():
            target = self._columns.get(key)
            if target is None:
                target = self._columns[key] = _new_column()
            code = target.code_for(value)
            target.writable_codes(position + 1)[position] = code


def _new_column() -> MetadataColumn:
    """A key no consumer has yet: no codes (every position reads MISSING)."""
    return MetadataColumn(np.zeros(0, dtype=np.int32), [])


class MetadataRows:
    """Metadata records taken by `MetadataStore.snapshot`, rendered as `record` gives them."""

    __slots__ = ("_columns", "_count")

    def __init__(self, columns: list[tuple[str, npt.NDArray[np.int32], list[Any]]], count: int) -> None:
        self._columns = columns
        self._count = count

    def records(self) -> list[dict[str, Any] | None]:
        out: list[dict[str, Any]] = [{} for _ in range(self._count)]
        for key, codes, pool in self._columns:
            for i in np.flatnonzero(codes != MISSING).tolist():
                value = pool[codes[i]]
                out[i][key] = list(value) if isinstance(value, tuple) else value
        return [record or None for record in out]

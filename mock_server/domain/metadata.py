"""Consumer metadata as one categorical column per key: int32 codes into a pool of distinct values.

Metadata values are JSON scalars or arrays of scalars; rules on `metadata.<key>` evaluate once per
distinct value and gather the answer through the codes, so they cost one array lookup per consumer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

MISSING = -1


def _intern_key(value: Any) -> tuple[str, Any]:
    # True == 1 and hash(True) == hash(1): tag the type so a bool never shares a pool slot with a number
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n" if isinstance(value, int) else "f", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list | tuple):
        return ("l", tuple(_intern_key(v) for v in value))
    if value is None:
        return ("z", None)
    raise TypeError(f"metadata values are scalars or arrays of scalars, not {type(value).__name__}")


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class MetadataColumn:
    """The values of one metadata key across consumers."""

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

    def writable_codes(self) -> npt.NDArray[np.int32]:
        if self.shared:
            self.codes = self.codes.copy()
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

    def column(self, key: str) -> tuple[npt.NDArray[np.int32], Sequence[Any]] | None:
        column = self._columns.get(key)
        if column is None:
            return None
        return column.codes[: self._len], column.pool

    def resize(self, length: int) -> None:
        """Grow to `length` consumers; codes past the end are always MISSING (positions are never removed)."""
        if length > self._len:
            for column in self._columns.values():
                if len(column.codes) < length:
                    grown = np.full(max(length, len(column.codes) * 3 // 2 + 1024), MISSING, dtype=np.int32)
                    grown[: self._len] = column.codes[: self._len]
                    column.codes, column.shared = grown, False
                    column.pool, column.index = list(column.pool), dict(column.index)
        self._len = length

    def record(self, position: int) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for key, column in self._columns.items():
            code = int(column.codes[position])
            if code != MISSING:
                value = column.pool[code]
                out[key] = list(value) if isinstance(value, tuple) else value
        return out or None

    def set_record(self, position: int, metadata: Mapping[str, Any] | None) -> None:
        """Replace one consumer's whole metadata object (None or {} clears it)."""
        metadata = metadata or {}
        for key, column in self._columns.items():
            if key not in metadata and column.codes[position] != MISSING:
                column.writable_codes()[position] = MISSING
        for key, value in metadata.items():
            target = self._columns.get(key)
            if target is None:
                target = self._columns[key] = MetadataColumn(
                    np.full(max(self._len, 1), MISSING, dtype=np.int32), []
                )
            code = target.code_for(value)
            target.writable_codes()[position] = code

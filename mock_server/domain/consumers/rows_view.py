"""What a compiled rule reads of consumers (`ConsumerRows`: the whole table, or some of its rows), and
`RowsView`, some rows of a table read in place, so a rule set can run over just the rows that changed or
over a table in slices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from mock_server.domain.consumers.folded_text import Fold
from mock_server.domain.consumers.metadata import MetadataStore
from mock_server.domain.consumers.record import Location
from mock_server.domain.consumers.table import ConsumerTable

Mask = npt.NDArray[np.bool_]
Codes = tuple[npt.NDArray[np.int32], Sequence[Any]]


class MetadataColumns(Protocol):
    def column(self, key: str) -> Codes | None: ...


class ConsumerRows(Protocol):
    """The reading surface of a table that rules use; row i of every answer is the same consumer."""

    def __len__(self) -> int: ...
    def column(self, name: str) -> npt.NDArray[Any]: ...
    def strings(self, name: str) -> Sequence[str | None]: ...
    def contains(self, name: str, needle: str) -> Mask: ...
    @property
    def locations(self) -> Sequence[Location]: ...
    @property
    def metadata(self) -> MetadataColumns: ...


class RowsView:
    """Rows of a table as they are now, read-only: a range (slices of the table's own arrays and folded
    text, no copy) or any ascending positions (gathered; their strings folded on first use)."""

    __slots__ = ("_at", "_folds", "_range", "_table", "metadata")

    def __init__(self, table: ConsumerTable, at: npt.NDArray[np.int64] | None, lo: int = 0, hi: int = 0):
        self._table = table
        self._at = at
        self._range = (lo, hi)
        self._folds: dict[str, Fold] = {}
        self.metadata = _MetadataView(table.metadata, slice(lo, hi) if at is None else at)

    @classmethod
    def range(cls, table: ConsumerTable, lo: int, hi: int) -> RowsView:
        return cls(table, None, lo, hi)

    @classmethod
    def positions(cls, table: ConsumerTable, at: npt.NDArray[np.int64]) -> RowsView:
        return cls(table, at)

    def __len__(self) -> int:
        lo, hi = self._range
        return hi - lo if self._at is None else len(self._at)

    def column(self, name: str) -> npt.NDArray[Any]:
        column = self._table.column(name)
        if self._at is None:
            return column[self._range[0] : self._range[1]]
        return column[self._at]

    def strings(self, name: str) -> Sequence[str | None]:
        strings = self._table.strings(name)
        if self._at is None:
            return strings[self._range[0] : self._range[1]]
        return [strings[p] for p in self._at.tolist()]

    def contains(self, name: str, needle: str) -> Mask:
        if self._at is None:
            return self._table.contains(name, needle, *self._range)
        fold = self._folds.get(name)
        if fold is None:  # (the rules of one audience share it)
            fold = self._folds[name] = Fold(self.strings(name))
        mask = np.zeros(len(self._at), dtype=np.bool_)
        mask[fold.matching(needle.encode("utf-8"), 0, len(self._at))] = True
        return mask

    @property
    def locations(self) -> Sequence[Location]:
        return self._table.locations


class _MetadataView:
    __slots__ = ("_rows", "_store")

    def __init__(self, store: MetadataStore, rows: slice | npt.NDArray[np.int64]) -> None:
        self._store, self._rows = store, rows

    def column(self, key: str) -> Codes | None:
        found = self._store.column(key)
        return None if found is None else (found[0][self._rows], found[1])

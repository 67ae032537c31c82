"""A table's columns as a head and a tail: the head is the seed's shared generated columns (positions below
`base`), a column's head copied only on the first write to it; the tail holds the table's own appended
rows (numpy arrays grown by half, string lists). An organization that adds a few consumers to the seed's
thousands pays for those few, not for a copy of every column; also the pool of locations `geo` codes into.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mock_server.domain.consumers.columns import COLUMN_DEFAULTS, STRING_COLUMNS, ConsumerColumns
from mock_server.domain.consumers.record import Location

#: A tail's first capacity (rows); it grows by half from there.
_FIRST_TAIL = 64
#: From this many consumers on, a column joined from head and tail is kept (written through) until the next
#: append: rules read columns whole; below, joining again costs less than keeping a copy per organization.
_CACHED_JOIN = 16_384

Positions = int | npt.NDArray[np.int64]


class ColumnStore:
    """The storage of one `ConsumerTable`; the head columns handed in are shared, never written."""

    __slots__ = (
        "_head",
        "_head_strings",
        "_joined",
        "_location_index",
        "_owned",
        "_tail",
        "_tail_strings",
        "base",
        "locations",
        "size",
    )

    def __init__(self, columns: ConsumerColumns) -> None:
        self.base = self.size = len(columns)
        self._head = dict(columns.numeric)  # a written column's head is replaced by this store's copy
        self._head_strings = dict(columns.strings)
        self._owned: set[str] = set()  # the columns whose head is this store's copy
        self._tail: dict[str, npt.NDArray[Any]] = {}  # made by the first append, room to spare
        self._tail_strings: dict[str, list[str | None]] = {name: [] for name in STRING_COLUMNS}
        self._joined: dict[str, Any] = {}  # name -> the joined column (size >= _CACHED_JOIN), until an append
        self.locations = columns.locations  # copied before a new location is added
        self._location_index: dict[Location, int] | None = None

    # ---- reads -----------------------------------------------------------------------------------------
    def column(self, name: str) -> npt.NDArray[Any]:
        """A numeric column over every position (the shared head itself while nothing was appended)."""
        if self.size == self.base:
            return self._head[name]
        tail = self._tail[name][: self.size - self.base]
        if not self.base:
            return tail
        joined: npt.NDArray[Any] | None = self._joined.get(name)
        if joined is None:
            joined = np.concatenate((self._head[name], tail))
            if self.size >= _CACHED_JOIN:
                self._joined[name] = joined
        return joined

    def strings(self, name: str) -> list[str | None]:
        """A string column over every position (read only: the shared head itself until an append)."""
        if not self._tail_strings[name]:
            return self._head_strings[name]
        joined: list[str | None] | None = self._joined.get(name)
        if joined is None:
            joined = self._join(name)
            if self.size >= _CACHED_JOIN:
                self._joined[name] = joined
        return joined

    def head(self, name: str) -> npt.NDArray[Any]:
        """A numeric column's head alone (positions below `base`; read only)."""
        return self._head[name]

    def tail_strings(self, name: str) -> list[str | None]:
        """A string column's values past the head, as stored (the live list: read only)."""
        return self._tail_strings[name]

    def take(self, name: str, positions: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
        """A numeric column's values at `positions` (a copy)."""
        head = self._head[name]
        if self.size == self.base or (len(positions) and int(positions.max()) < self.base):
            return head[positions]
        tail = self._tail[name]
        in_head = positions < self.base
        out = np.empty(len(positions), dtype=head.dtype)
        out[in_head] = head[positions[in_head]]
        out[~in_head] = tail[positions[~in_head] - self.base]
        return out

    def value(self, name: str, position: int) -> Any:
        """One stored value, as a numpy scalar."""
        if position < self.base:
            return self._head[name][position]
        return self._tail[name][position - self.base]

    def string(self, name: str, position: int) -> str | None:
        if position < self.base:
            return self._head_strings[name][position]
        return self._tail_strings[name][position - self.base]

    def strings_at(self, name: str, positions: Sequence[int]) -> list[str | None]:
        head, tail, base = self._head_strings[name], self._tail_strings[name], self.base
        return [head[p] if p < base else tail[p - base] for p in positions]

    # ---- writes ----------------------------------------------------------------------------------------
    def set(self, name: str, positions: Positions, values: Any) -> None:
        """Write a numeric column at one position or an array of them (`values`: one, or one per position)."""
        joined = self._joined.get(name)
        if joined is not None:
            joined[positions] = values
        base = self.base
        if isinstance(positions, int):
            if positions < base:
                self._own_head(name)[positions] = values
            else:
                self._tail[name][positions - base] = values
            return
        if not len(positions):
            return
        if int(positions.min()) >= base:
            self._tail[name][positions - base] = values
            return
        values = np.broadcast_to(np.asarray(values), positions.shape)
        in_head = positions < base
        self._own_head(name)[positions[in_head]] = values[in_head]
        if not in_head.all():
            self._tail[name][positions[~in_head] - base] = values[~in_head]

    def set_string(self, name: str, position: int, value: str | None) -> None:
        joined = self._joined.get(name)
        if joined is not None:
            joined[position] = value
        if position < self.base:
            if name not in self._owned:
                self._head_strings[name] = list(self._head_strings[name])
                self._owned.add(name)
            self._head_strings[name][position] = value
        else:
            self._tail_strings[name][position - self.base] = value

    def append_rows(self, count: int, strings: Mapping[str, Sequence[str | None]] | None = None) -> int:
        """Room for `count` more consumers, every numeric value its column's default and the string columns
        the given values (None where not given); returns the first new position."""
        start = self.size
        used = start - self.base
        needed = used + count
        capacity = len(self._tail["id_hi"]) if self._tail else 0
        if needed > capacity:
            room = max(needed, _FIRST_TAIL, capacity + capacity // 2)
            for name, head in self._head.items():
                grown = np.full(room, COLUMN_DEFAULTS.get(name, 0), dtype=head.dtype)
                if used:
                    grown[:used] = self._tail[name][:used]
                self._tail[name] = grown
        strings = strings or {}
        for name, tail in self._tail_strings.items():
            given = strings.get(name)
            tail.extend(given if given is not None else [None] * count)
        self.size = start + count
        self._joined.clear()
        return start

    def location_code(self, location: Location) -> int:
        """The `geo` code of a location, adding it to this table's pool when new."""
        if self._location_index is None:  # the first write of a location: the pool becomes this table's
            self.locations = list(self.locations)
            self._location_index = {loc: i for i, loc in enumerate(self.locations)}
        code = self._location_index.get(location)
        if code is None:
            code = self._location_index[location] = len(self.locations)
            self.locations.append(location)
        return code

    # ---- private -----------------------------------------------------------------------------------------
    def _own_head(self, name: str) -> npt.NDArray[Any]:
        """A numeric column's head this store may write (the shared one is copied first)."""
        if name not in self._owned:
            self._head[name] = self._head[name].copy()
            self._owned.add(name)
        return self._head[name]

    def _join(self, name: str) -> list[str | None]:
        return self._head_strings[name] + self._tail_strings[name]

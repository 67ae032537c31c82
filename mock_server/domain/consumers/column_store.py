"""A table's columns, copy-on-write over the seed's shared base: numeric columns (numpy, grown with room
to spare, slots past the end holding each column's default), string columns (lists) and the pool of
locations that the `geo` column codes into."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from mock_server.domain.consumers.columns import COLUMN_DEFAULTS, STRING_COLUMNS, ConsumerColumns
from mock_server.domain.consumers.record import Location


class ColumnStore:
    """The storage of one `ConsumerTable`; columns handed in are shared and copied on their first write."""

    __slots__ = ("_location_index", "_shared", "locations", "num", "str")

    def __init__(self, columns: ConsumerColumns) -> None:
        self.num = dict(columns.numeric)
        self.str = dict(columns.strings)
        self._shared = set(self.num) | set(self.str)  # copy before the first write
        self.locations = columns.locations  # copied before a new location is added
        self._location_index: dict[Location, int] | None = None

    def writable(self, name: str) -> npt.NDArray[Any]:
        """A numeric column this table may write (the shared one is copied first)."""
        if name in self._shared:
            self.num[name] = self.num[name].copy()
            self._shared.discard(name)
        return self.num[name]

    def writable_strings(self, name: str) -> list[str | None]:
        if name in self._shared:
            self.str[name] = list(self.str[name])
            self._shared.discard(name)
        return self.str[name]

    def grow(self, size: int, used: int) -> None:
        """Room for `size` consumers (`used` hold values); slots past the end hold each column's default.
        Every column is this table's own afterwards."""
        capacity = len(self.num["id_hi"])
        if size > capacity or self._shared:
            # off the shared base, a little room (an organization adds a few consumers to the seed's
            # thousands); its own columns grow by half, for amortized appends
            room = max(256, capacity // 8) if self._shared else max(1024, capacity // 2)
            new_capacity = max(size, capacity + room) if size > capacity else capacity
            for name, column in self.num.items():
                if size <= capacity and name not in self._shared:
                    continue
                grown = np.full(new_capacity, COLUMN_DEFAULTS.get(name, 0), dtype=column.dtype)
                grown[:used] = column[:used]
                self.num[name] = grown
                self._shared.discard(name)
            for name in STRING_COLUMNS:
                self.writable_strings(name)

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

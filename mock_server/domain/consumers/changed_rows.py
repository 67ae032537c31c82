"""The changed consumers of a table as a snapshot takes them: a copy of their stored values taken now,
rendered to JSON rows later (from any thread, whatever changes since)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import numpy as np
import numpy.typing as npt

from mock_server.domain.consumers.column_store import ColumnStore
from mock_server.domain.consumers.columns import NUMERIC_COLUMNS, STRING_COLUMNS
from mock_server.domain.consumers.metadata import MetadataStore


class ChangedRows:
    """A copy of some consumers' columns (numpy fancy indexes, string and metadata-code copies; metadata
    pools only ever grow), rendered on demand to `[position, row]` pairs: the row is every stored value,
    JSON-able, exactly as stored, which `ConsumerTable.restore_export` puts back."""

    __slots__ = ("_columns", "_ids", "_metadata", "_positions")

    def __init__(
        self,
        positions: list[int],
        store: ColumnStore,
        id_lows: npt.NDArray[np.uint64],
        metadata: MetadataStore,
    ) -> None:
        at = np.asarray(positions, dtype=np.int64)
        self._positions = positions
        self._ids = (store.take("id_hi", at), id_lows)
        columns: dict[str, Any] = {}
        for name in NUMERIC_COLUMNS:
            if name not in ("id_hi", "id_lo"):
                columns[name] = store.take(name, at)
        locations = store.locations
        geo = columns.pop("geo").tolist()
        columns["location"] = [
            None
            if g < 0
            else [locations[g].city, locations[g].region, locations[g].country, locations[g].timezone]
            for g in geo
        ]
        for name in STRING_COLUMNS:
            columns[name] = store.strings_at(name, positions)
        self._columns = columns
        self._metadata = metadata.snapshot(at)

    def render(self) -> list[list[Any]]:
        """`[[position, row], ...]`, in the order the positions were given."""
        his, los = (a.tolist() for a in self._ids)
        names = list(self._columns)
        values = [c.tolist() if isinstance(c, np.ndarray) else c for c in self._columns.values()]
        metadata = self._metadata.records()
        rows = zip(*values, strict=True)
        return [
            [p, {"id": str(UUID(int=(h << 64) | lo)), **dict(zip(names, row, strict=True)), "metadata": m}]
            for p, h, lo, row, m in zip(self._positions, his, los, rows, metadata, strict=True)
        ]

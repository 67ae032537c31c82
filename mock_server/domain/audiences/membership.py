"""Who is in an audience: a sorted, duplicate-free array of consumer positions, and where a count comes from.

A dynamic audience's set is computed from its rules (materialized); a static or synced list's set is
curated. Either way a count is `len()` and a page is a binary search plus a slice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

Positions = npt.NDArray[np.int64]


class CountSource(StrEnum):
    """Where a count comes from (the guide's names): a materialized set, a curated list, a sync source."""

    VALKEY_ALIAS = "valkey_alias"
    DB_LIST = "db_list"
    SYNC_SOURCE = "sync_source"


def as_positions(values: Iterable[int] | npt.NDArray[Any]) -> Positions:
    """Any collection of positions as a sorted, duplicate-free int64 array."""
    array = values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=np.int64)
    return np.unique(array.astype(np.int64, copy=False))


EMPTY: Positions = np.zeros(0, dtype=np.int64)


class MemberSet:
    """The members of one audience; `revision` bumps on every change."""

    __slots__ = ("positions", "refreshed_at", "revision", "rules_version", "table_revision")

    def __init__(self, positions: Positions = EMPTY) -> None:
        self.positions = positions
        self.revision = 0
        # for materialized sets: what they were computed from, and when
        self.rules_version = 0
        self.table_revision = -1
        self.refreshed_at: datetime | None = None

    def __len__(self) -> int:
        return len(self.positions)

    def __contains__(self, position: int) -> bool:
        i = int(np.searchsorted(self.positions, position))
        return i < len(self.positions) and int(self.positions[i]) == position

    def add(self, positions: Positions) -> int:
        """Add positions (sorted, unique); returns how many were not members yet."""
        # A merge, not np.union1d's sort of both: an import adds a batch at a time to a growing set.
        current = self.positions
        at = np.searchsorted(current, positions)
        held = at < len(current)
        held[held] = current[at[held]] == positions[held]
        fresh = ~held
        self.replace(np.insert(current, at[fresh], positions[fresh]))
        return int(np.count_nonzero(fresh))

    def remove(self, positions: Positions) -> int:
        before = len(self.positions)
        self.replace(np.setdiff1d(self.positions, positions, assume_unique=True))
        return before - len(self.positions)

    def replace(self, positions: Positions) -> None:
        self.positions = positions.astype(np.int64, copy=False)
        self.revision += 1


@dataclass(frozen=True, slots=True)
class AudienceCount:
    audience_id: str
    count: int
    source: CountSource

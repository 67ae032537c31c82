"""The positions a table changed in place, as an append-only log: a reader keeps a mark (how long the log
was when it last looked) and later asks which positions changed since, instead of rereading the table."""

from __future__ import annotations

from array import array

import numpy as np
import numpy.typing as npt

#: Entries kept before the older half is dropped (a reader whose mark fell off the log recomputes all).
KEPT = 1 << 20


class ChangeLog:
    """Positions changed in place (appends are not logged: a reader knows the length it last saw)."""

    __slots__ = ("_entries", "_floor", "_kept")

    def __init__(self, kept: int = KEPT) -> None:
        self._entries = array("q")  # 8 bytes an entry, out of the collector's sight
        self._floor = 0  # the mark of `_entries[0]`: what was dropped lies below it
        self._kept = kept

    @property
    def mark(self) -> int:
        """Where the log ends now (a reader's bookmark)."""
        return self._floor + len(self._entries)

    def record(self, position: int) -> None:
        entries = self._entries  # (no skipping a repeat: a reader's mark may lie between the two)
        entries.append(position)
        if len(entries) > self._kept:
            drop = len(entries) // 2
            del entries[:drop]
            self._floor += drop

    def since(self, mark: int) -> npt.NDArray[np.int64] | None:
        """The distinct positions changed after `mark`, ascending; None when the log no longer reaches back
        that far (the reader must look at everything)."""
        if mark < self._floor:
            return None
        tail = self._entries[mark - self._floor :]  # a copy: a buffer exported from the log would pin it
        return np.unique(np.frombuffer(tail, dtype=np.int64))

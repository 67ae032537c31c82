"""The journal's storage: its records packed (marshal) one after another into a single anonymous memory map,
the oldest given up first, and the pages the oldest leave behind handed back to the system.

Why not a deque of tuples: each record is some thirty small objects, and a few kept records scattered among
a freed world's objects hold the allocator's arenas (1 MiB each) that a reset would otherwise give back
(10,000 organizations: RSS after a reset 75 MiB above the journal-less figure). Packed, a record is one
slice of a map the allocator never sees, and about a third of the bytes."""

from __future__ import annotations

import contextlib
import marshal
import mmap
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["PackedRing"]

#: Bytes reserved (not touched until written) per kept record: room for both bodies at the default limit
#: and their headers; within `MAX_BYTES` whatever the capacity.
BYTES_PER_RECORD = 10 * 1024
MAX_BYTES = 1 << 30
#: Evicted pages are handed back in steps of this much (a system call each).
RELEASE_STEP = 64 * 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

Record = tuple[Any, ...]


class PackedRing:
    """At most `capacity` records, oldest out first (also when the bytes run out). Not thread-safe: the
    journal locks around it. Field 1 of a record (the virtual clock's instant) is a UTC datetime; the rest
    are what marshal keeps (atoms, bytes, tuples, dicts)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._size = min(MAX_BYTES, max(mmap.PAGESIZE, capacity * BYTES_PER_RECORD))
        self._map = mmap.mmap(-1, self._size)  # anonymous: zero pages cost nothing until written
        self._starts = array("q", [0]) * capacity
        self._ends = array("q", [0]) * capacity
        self._next = 0  # the slot of the next record
        self._count = 0
        self._write = 0  # where the next record's bytes go
        self._released = 0  # the evicted bytes before the oldest record are handed back from here

    def __len__(self) -> int:
        return self._count

    def append(self, record: Record) -> bool:
        """Keep `record`; whether that gave up the oldest one (or, too large to keep, this one)."""
        packed = marshal.dumps((record[0], (record[1] - _EPOCH) // _MICROSECOND, *record[2:]))
        n = len(packed)
        if n > self._size:
            return True
        evicted = self._count == self.capacity
        if evicted:
            self._evict()
        at = self._room(n)
        while at is None:
            evicted = True
            self._evict()
            at = self._room(n)
        self._map[at : at + n] = packed
        slot = self._next
        self._starts[slot] = at
        self._ends[slot] = at + n
        self._next = (slot + 1) % self.capacity
        self._count += 1
        self._write = at + n
        return evicted

    def records(self) -> Iterator[Record]:
        """The kept records, oldest first, decoded."""
        for index in range(self._count):
            yield self[index]

    def __getitem__(self, index: int) -> Record:
        """The `index`-oldest record, decoded."""
        slot = (self._next - self._count + index) % self.capacity
        with memoryview(self._map) as view:
            fields = marshal.loads(view[self._starts[slot] : self._ends[slot]])
        return (fields[0], _EPOCH + fields[1] * _MICROSECOND, *fields[2:])

    def clear(self) -> None:
        self._count = 0
        self._write = self._released = 0
        self._give_back(0, self._size)

    def _room(self, n: int) -> int | None:
        """Where `n` bytes fit without touching a kept record, or None."""
        if not self._count:
            self._write = self._released = 0
            return 0
        tail, write = self._starts[self._oldest()], self._write
        if tail < write:  # kept: [tail, write)
            if write + n <= self._size:
                return write
            return 0 if n <= tail else None
        return write if write + n <= tail else None  # kept: [tail, end of the last) and [0, write)

    def _oldest(self) -> int:
        return (self._next - self._count) % self.capacity

    def _evict(self) -> None:
        self._count -= 1
        if not self._count:
            self.clear()
            return
        tail = self._starts[self._oldest()]
        if tail < self._released:  # the oldest is back at the map's start: what was behind it is free
            self._give_back(self._released, self._size)
            self._released = 0
        if tail - self._released >= RELEASE_STEP:
            self._give_back(self._released, tail)
            self._released = tail

    def _give_back(self, start: int, end: int) -> None:
        """Hand the whole pages inside [start, end) back to the system (they read as zeros after)."""
        page = mmap.PAGESIZE
        start = -(-start // page) * page
        end = end // page * page
        if end > start:
            with contextlib.suppress(AttributeError, OSError):  # no madvise: the pages stay
                self._map.madvise(mmap.MADV_DONTNEED, start, end - start)

"""The request journal: one entry per request (routed or not), kept in a bounded ring, answering a
`JournalQuery` (operation, tenant, status, method, path, outcome, whether it was forced).

Records hold no secret: keys are redacted when a request is recorded (`sk_test_…abcd`), and the tenant is
matched by its key's tag. A record is a plain tuple with bodies kept raw (up to a limit), packed into the
ring's one memory map (`PackedRing`); it becomes a `JournalEntry` (decoded, parsed) only when read, so
recording stays cheap on the request path. Shared by the server's loop and a test's thread: a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from mock_server.control.entries import (
    R_FORCED,
    R_METHOD,
    R_OPERATION_ID,
    R_OUTCOME,
    R_PATH,
    R_STATUS,
    R_TENANT,
    JournalEntry,
    Record,
)
from mock_server.control.journal_query import JournalQuery, status_range
from mock_server.control.packed_ring import PackedRing
from mock_server.control.redaction import key_tag

__all__ = ["DEFAULT_BODY_LIMIT", "DEFAULT_CAPACITY", "Journal"]

DEFAULT_CAPACITY = 10_000
#: Bytes of each request and response body kept (worst case about 80 MB for a full default ring).
DEFAULT_BODY_LIMIT = 4096
EVERYTHING = JournalQuery()


class Journal:
    """The ring of records. `capacity` 0 keeps nothing (the access log still works)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, body_limit: int = DEFAULT_BODY_LIMIT) -> None:
        if capacity < 0 or body_limit < 0:
            raise ValueError("the journal's capacity and body limit cannot be negative")
        self.capacity = capacity
        self.body_limit = body_limit
        self._ring = PackedRing(capacity or 1)
        self._lock = threading.Lock()
        self._seq = 0
        self.dropped = 0

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    @property
    def latest_seq(self) -> int:
        return self._seq

    def record(self, record: Record) -> int:
        """Keep one request's record; its seq (0 when the journal keeps nothing)."""
        if not self.capacity:
            return 0
        with self._lock:
            self._seq += 1
            if self._ring.append(record):
                self.dropped += 1
            return self._seq

    def clear(self) -> int:
        with self._lock:
            removed = len(self._ring)
            self._ring.clear()
            self.dropped = 0
        return removed

    def __len__(self) -> int:
        return len(self._ring)

    def __iter__(self) -> Iterator[JournalEntry]:
        with self._lock:
            first = self._seq - len(self._ring) + 1  # seqs in the ring are consecutive
            return iter(
                [JournalEntry(first + index, record) for index, record in enumerate(self._ring.records())]
            )

    def entries(self, query: JournalQuery = EVERYTHING) -> list[JournalEntry]:
        """The entries `query` asks for, oldest first."""
        operation_id, method, path, outcome, forced = (
            query.operation_id,
            query.method,
            query.path,
            query.outcome,
            query.forced,
        )
        statuses = status_range(query.status)
        tag = key_tag(query.key) if query.key is not None else None
        upper = method.upper() if method is not None else None

        def wanted(record: Record) -> bool:
            tenant = record[R_TENANT]
            return (
                (operation_id is None or record[R_OPERATION_ID] == operation_id)
                and (tag is None or (tenant is not None and tenant[1] == tag))
                and (statuses is None or statuses[0] <= record[R_STATUS] < statuses[1])
                and (upper is None or record[R_METHOD] == upper)
                and (path is None or record[R_PATH].startswith(path))
                and (outcome is None or record[R_OUTCOME] == outcome)
                and (forced is None or (record[R_FORCED] is not None) == forced)
            )

        after, limit = query.after, query.limit
        with self._lock:  # records are decoded as they are looked at: the newest first unless `after`
            ring = self._ring
            first = self._seq - len(ring) + 1
            if after is not None:
                return _matching(ring, first, range(max(0, after - first + 1), len(ring)), wanted, limit)
            found = _matching(ring, first, range(len(ring) - 1, -1, -1), wanted, limit)
        found.reverse()
        return found


def _matching(
    ring: PackedRing, first: int, indexes: range, wanted: Callable[[Record], bool], limit: int | None
) -> list[JournalEntry]:
    found: list[JournalEntry] = []
    for index in indexes:
        record = ring[index]
        if wanted(record):
            found.append(JournalEntry(first + index, record))
            if limit is not None and len(found) >= limit:
                break
    return found

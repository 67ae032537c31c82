"""The log position shared by every process of this host on one store: a small file in shared memory
(`/dev/shm`) holding the furthest log position any of them saw appended or read, and until when their
group's read lease in the store holds. A reader whose replica is at that position, inside the lease, has
every write acknowledged before it arrived and answers without asking the store (see ARCHITECTURE.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import secrets
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

#: Where pages live: `FANFARE_MOCK_PAGE_DIR` names a directory (`off`: no page, every read asks the
#: store, as a process on another host does).
PAGE_DIR = "FANFARE_MOCK_PAGE_DIR"
#: position (milliseconds, sequence), lease end (CLOCK_MONOTONIC ns, the same for every process of the
#: host), then the group id (16 random bytes, written by whoever created the page).
_FIELDS = struct.Struct("<QQQ")
_GROUP = slice(_FIELDS.size, _FIELDS.size + 16)
_SIZE = 64


def page_for(store: str) -> PositionPage | None:
    """The page of `store` on this host (made on first use), or None when pages are off."""
    where = os.environ.get(PAGE_DIR) or (
        "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    )
    if where == "off":
        return None
    name = "fanfare-mock-" + hashlib.sha256(store.encode()).hexdigest()[:24] + ".page"
    try:
        return PositionPage(os.path.join(where, name))
    except OSError:
        return None  # no page: every read asks the store (slower, as correct)


class PositionPage:
    """The shared page: `read` for readers, `advance` (a maximum, never back) for whoever exchanged
    with the store. Both hold the file's lock (`flock`), so no reader sees half a write."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            with self._locked(fcntl.LOCK_EX):
                if os.fstat(self._fd).st_size < _SIZE:
                    os.ftruncate(self._fd, _SIZE)
                    os.pwrite(self._fd, secrets.token_bytes(16), _GROUP.start)
                self._map = mmap.mmap(self._fd, _SIZE)
        except BaseException:
            os.close(self._fd)
            raise
        #: This host's group in the store's lease: every process sharing the page is one group.
        self.group = self._map[_GROUP].hex()

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        fcntl.flock(self._fd, mode)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def read(self) -> tuple[tuple[int, int], int]:
        """The furthest position seen on this host, and the lease's end (monotonic ns; 0: none)."""
        with self._locked(fcntl.LOCK_SH):
            ms, seq, lease = _FIELDS.unpack_from(self._map)
        return (ms, seq), lease

    def advance(self, position: tuple[int, int], lease: int = 0) -> None:
        """Raise the position to at least `position` and the lease's end to at least `lease`."""
        with self._locked(fcntl.LOCK_EX):
            ms, seq, kept = _FIELDS.unpack_from(self._map)
            ms, seq = max((ms, seq), position)
            _FIELDS.pack_into(self._map, 0, ms, seq, max(kept, lease))

    def forget_lease(self) -> None:
        """The store failed: until an exchange succeeds again, every read asks it (and answers 503)."""
        with self._locked(fcntl.LOCK_EX):
            ms, seq, _ = _FIELDS.unpack_from(self._map)
            _FIELDS.pack_into(self._map, 0, ms, seq, 0)

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)

"""What the replica needs from an engine: append commands and read the log past a position in one
exchange, and keep the latest snapshot. Positions are the engine's own (a Redis Stream id, a SQLite
rowid), written `major-minor` or `major`, ordered by `position_key`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Protocol

#: A log entry: its position, the command's JSON part, its raw body.
Entry = tuple[str, bytes, bytes | None]
#: What a writer hands over: the command's JSON part and raw body.
Encoded = tuple[bytes, bytes | None]
#: What an exchange returns: the new commands' positions, the entries read, whether more follow, and
#: a snapshot (position, data) to restore before those entries when the log was trimmed past the reader.
Exchanged = tuple[list[str], list[Entry], bool, tuple[str, bytes] | None]


class StoreUnavailable(Exception):
    """The engine cannot be reached (or answered with an error): nothing was acknowledged."""


class Log(Protocol):
    #: Where the log lives, for messages (a Redis URL without its password, a file path).
    where: str
    #: True when no other process can append (an exclusively locked file): reads need no catch-up.
    sole_writer: bool
    #: The position before every entry.
    origin: str
    #: Set by `settled` when what it relies on should be renewed soon (the replica then exchanges once in
    #: the background).
    renewal_due: bool

    def settled(self, position: str) -> bool:
        """True when every write acknowledged so far, by any worker or host, is known without asking the
        engine to be at or before `position` (a read then needs no catch-up)."""
        ...

    async def exchange(self, commands: Sequence[Encoded], after: str) -> Exchanged:
        """Append `commands` (in order) and read the entries past `after`, own ones included.

        Returns the new commands' positions, the entries read, whether more entries follow (a
        bounded read), and the snapshot to restore first if what follows `after` was trimmed (the
        entries then follow the snapshot). Raises StoreUnavailable if the engine cannot be reached."""
        ...

    async def found(self, commands: Sequence[bytes]) -> bool:
        """Append `commands` (JSON parts, no raw body) only if the store is new (no snapshot, an empty
        log), atomically; True if they were appended."""
        ...

    async def latest_snapshot(self) -> tuple[str, bytes] | None: ...

    async def claim_snapshot(self, position: str, since: int) -> tuple[bool, int]:
        """May this worker write the snapshot at `position` (one writer per store; none when fewer than
        `since` entries follow the kept one)? A claim lapses when its snapshot is saved. Also answers
        the kept snapshot's size in bytes (0: none)."""
        ...

    async def save_snapshot(self, position: str, data: bytes, *, claimed: bool = False) -> None:
        """Keep `data` as the world at `position`, unless a newer snapshot is already kept; the log up to
        it may be trimmed. `claimed`: the claim taken for it ends."""
        ...

    async def save_encoded(self, position: str, encode: Callable[[], bytes]) -> int | None:
        """Save the snapshot `encode()` makes of the world now, at `position`, under a claim taken for
        it; its size in bytes, or None when it was encoded elsewhere (a forked copy of this process)."""
        ...

    async def detach(self) -> None:
        """Drop what belongs to the running event loop (a connection); the log stays usable."""
        ...

    async def close(self) -> None: ...


def position_key(position: str) -> tuple[int, int]:
    major, _, minor = position.partition("-")
    return int(major), int(minor or 0)


def open_log(target: str) -> Log:
    """`redis://HOST:PORT/DB` (or `rediss://`, `unix://`) names a Redis store; anything else is a state
    file (a directory holds `state.sqlite3`)."""
    if target.startswith(("redis://", "rediss://", "unix://")):
        from mock_server.store.redis_log import RedisLog

        return RedisLog(target)
    from mock_server.store.sqlite_log import SqliteLog

    path = os.path.join(target, "state.sqlite3") if os.path.isdir(target) else target
    return SqliteLog(path)

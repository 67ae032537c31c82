"""The embedded engine for `--state-file`: SQLite in WAL mode with `synchronous=FULL`, locked by one
process. A batch of commands is one transaction, committed (fsync'ed) before any of them is applied
or answered, so kill -9 at any moment loses no acknowledged write. All SQLite calls run on one thread
of their own, off the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from mock_server.store.log import Encoded, Exchanged, StoreUnavailable

T = TypeVar("T")

#: Entries read per exchange (a long history is replayed in bounded steps).
READ_LIMIT = 5_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL, raw BLOB);
CREATE TABLE IF NOT EXISTS snapshot (one INTEGER PRIMARY KEY CHECK (one = 1), position INTEGER NOT NULL,
                                     data BLOB NOT NULL);
"""


class SqliteLog:
    sole_writer = True
    origin = "0"
    renewal_due = False

    def __init__(self, path: str) -> None:
        self.where = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state-file")
        self._db = self._thread.submit(self._open).result()

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.where, timeout=1.0, isolation_level=None)
            db.execute("PRAGMA locking_mode=EXCLUSIVE")  # one process owns the file while it runs
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now, not at the first write
            db.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if "locked" in str(error):
                raise StoreUnavailable(f"{self.where} is in use by another fanfare-mock process") from None
            raise StoreUnavailable(f"cannot open the state file {self.where}: {error}") from None
        except sqlite3.DatabaseError as error:
            raise StoreUnavailable(f"{self.where} is not a fanfare-mock state file: {error}") from None
        return db

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    async def exchange(self, commands: Sequence[Encoded], after: str) -> Exchanged:
        def work() -> Exchanged:
            ids: list[str] = []
            try:
                if commands:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        for data, raw in commands:
                            cursor = self._db.execute(
                                "INSERT INTO log (data, raw) VALUES (?, ?)", (data, raw)
                            )
                            ids.append(str(cursor.lastrowid))
                        self._db.execute("COMMIT")
                    except BaseException:
                        self._db.execute("ROLLBACK")
                        raise
                rows = self._db.execute(
                    "SELECT id, data, raw FROM log WHERE id > ? ORDER BY id LIMIT ?", (int(after), READ_LIMIT)
                ).fetchall()
            except sqlite3.Error as error:
                raise StoreUnavailable(f"the state file {self.where} failed: {error}") from None
            entries = [(str(i), bytes(data), None if raw is None else bytes(raw)) for i, data, raw in rows]
            return ids, entries, len(rows) == READ_LIMIT, None  # one replica: never behind the trim

        return await self._run(work)

    async def found(self, commands: Sequence[bytes]) -> bool:
        def work() -> bool:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    kept = self._db.execute(
                        "SELECT (SELECT count(*) FROM snapshot) + (SELECT count(*) FROM log)"
                    ).fetchone()[0]
                    if not kept:
                        self._db.executemany("INSERT INTO log (data) VALUES (?)", [(c,) for c in commands])
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise StoreUnavailable(f"the state file {self.where} failed: {error}") from None
            return not kept

        return await self._run(work)

    def settled(self, position: str) -> bool:
        return True  # the one writer is this process: its replica has applied every answered write

    async def claim_snapshot(self, position: str, since: int) -> tuple[bool, int]:
        return True, 0  # the one writer (it knows the size of what it kept)

    async def latest_snapshot(self) -> tuple[str, bytes] | None:
        def work() -> tuple[str, bytes] | None:
            row = self._db.execute("SELECT position, data FROM snapshot").fetchone()
            return None if row is None else (str(row[0]), bytes(row[1]))

        return await self._run(work)

    async def save_snapshot(self, position: str, data: bytes, *, claimed: bool = False) -> None:
        def work() -> None:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO snapshot (one, position, data) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE "
                    "SET position = excluded.position, data = excluded.data "
                    "WHERE excluded.position > snapshot.position",
                    (int(position), data),
                )
                # Only this process writes the file, so what the snapshot holds is never read again.
                self._db.execute("DELETE FROM log WHERE id <= ?", (int(position),))
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreUnavailable(f"the state file {self.where} failed: {error}") from None

        await self._run(work)

    async def save_encoded(self, position: str, encode: Callable[[], bytes]) -> int:
        data = encode()  # one process owns the file: no fork while its connection lives in a thread
        await self.save_snapshot(position, data, claimed=True)
        return len(data)

    async def detach(self) -> None:
        return None  # the connection belongs to the log's own thread, not to a loop

    async def close(self) -> None:
        def work() -> None:
            self._db.close()

        await self._run(work)
        self._thread.shutdown(wait=False)

"""The shared engine for `--store redis://...`: the log is a Redis Stream (Redis orders the appends of
every worker and host), the latest snapshot a hash. One exchange is one round trip, a script: the
batch's XADDs, the read lease, then an XRANGE past the worker's position. Saving a snapshot trims the
stream before it. The processes of one host share a position page (`position_page.py`), so inside their
group's lease a read asks the store only when the page shows a write it has not applied. Works with
Valkey too (the same protocol)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError

from mock_server.store.log import Encoded, Exchanged, StoreUnavailable, position_key
from mock_server.store.position_page import PositionPage, page_for
from mock_server.store.redis_scripts import (
    CLAIM_SNAPSHOT,
    CONTESTED_KEY,
    EXCHANGE,
    FOUND,
    LEASE_KEY,
    LOG_KEY,
    SAVE_SNAPSHOT,
    SNAPSHOT_CLAIM_KEY,
    SNAPSHOT_KEY,
)

logger = logging.getLogger("fanfare_mock.store")

#: Entries read per exchange (a long history is replayed in bounded steps).
READ_LIMIT = 5_000
#: The read lease of a host group (see ARCHITECTURE.md): granted for LEASE_MS by the store; this host's
#: readers trust it for LEASE_MS - LEASE_MARGIN_MS from before the exchange was sent (clock rates differ
#: by far less), and renew it in the background once less than half of it is left.
LEASE_MS, LEASE_MARGIN_MS = 1_000, 150
#: A write from outside the group blocks the lease for this long after the last such write.
CONTESTED_MS = 30_000
#: A snapshot claim lapses after this long (its writer died or lost the store).
CLAIM_MS = 60_000


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


class RedisLog:
    sole_writer = False
    origin = "0-0"

    def __init__(self, url: str, *, page: bool = True) -> None:
        self.url = url
        self.where = redacted(url)
        self._exchange_sha = hashlib.sha1(EXCHANGE.encode()).hexdigest()
        self._clients: dict[int, Redis] = {}  # one per event loop (the start-up replay runs on its own)
        self._page: PositionPage | None = page_for(url) if page else None
        self.group = "" if self._page is None else self._page.group
        #: Set by `settled`: the lease is trusted but past its half (the replica renews it meanwhile).
        self.renewal_due = False
        self._writers: set[asyncio.Future[None]] = set()  # forked snapshot writers being waited for

    def _client(self) -> Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(id(loop))
        if client is None:
            # No retries: a pipeline re-sent after a lost reply would append its commands twice.
            client = Redis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 0)
            )
            self._clients[id(loop)] = client
        return client

    def _unavailable(self, error: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"the store {self.where} cannot be reached: {error}")

    def settled(self, position: str) -> bool:
        """True when this host's page shows no write past `position` and the group's lease holds: every
        write acknowledged before now, here or on another host, is then at or before `position`."""
        if self._page is None:
            return False
        seen, lease = self._page.read()
        now = time.monotonic_ns()
        if lease <= now or seen > position_key(position):
            return False
        self.renewal_due = lease - now < (LEASE_MS - LEASE_MARGIN_MS) * 500_000
        return True

    async def exchange(self, commands: Sequence[Encoded], after: str) -> Exchanged:
        # A pure read is retried once on a fresh connection (the first use of a pooled connection after
        # Redis came back fails); appends never are (a lost reply would append them twice).
        attempts = 1 if commands else 2
        for attempt in range(attempts):
            sent = time.monotonic_ns()
            try:
                replies = await self._send(commands, after)
                break
            except (RedisError, OSError) as error:
                if attempt + 1 == attempts:
                    if self._page is not None:
                        self._page.forget_lease()
                    raise self._unavailable(error) from None
        appended, rows, snapshot, last, granted, wait = replies
        ids = [i.decode() for i in appended]
        entries = []
        for i, flat in rows:  # a Lua reply gives a stream entry's fields as a flat list
            fields = dict(zip(flat[::2], flat[1::2], strict=True))
            entries.append((i.decode(), fields[b"c"], fields.get(b"r")))
        if self._page is not None:
            # Before anything appended here is acknowledged: this host's readers now know it exists.
            lease = sent + (LEASE_MS - LEASE_MARGIN_MS) * 1_000_000 if granted else 0
            self._page.advance(position_key(last.decode()), lease)
        if wait > 0:  # another group's readers may trust their lease until then: acknowledge after it
            await asyncio.sleep(wait / 1000)
        restore = None if not snapshot else (snapshot[0].decode(), snapshot[1])
        return ids, entries, len(rows) == READ_LIMIT, restore

    async def _send(self, commands: Sequence[Encoded], after: str) -> list[Any]:
        client = self._client()
        args: list[Any] = [after, READ_LIMIT, len(commands), self.group, LEASE_MS, CONTESTED_MS]
        for data, raw in commands:
            args += [data, b"0" if raw is None else b"1" + raw]
        keys = (LOG_KEY, SNAPSHOT_KEY, LEASE_KEY, CONTESTED_KEY)
        try:
            return await client.evalsha(self._exchange_sha, len(keys), *keys, *args)  # type: ignore[no-any-return]
        except NoScriptError:  # a restarted (or flushed) Redis: the script is sent again, nothing ran
            self._exchange_sha = await client.script_load(EXCHANGE)
            return await client.evalsha(self._exchange_sha, len(keys), *keys, *args)  # type: ignore[no-any-return]

    async def found(self, commands: Sequence[bytes]) -> bool:
        try:
            done = await self._client().eval(FOUND, 2, LOG_KEY, SNAPSHOT_KEY, *commands)
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None
        return bool(done)

    async def latest_snapshot(self) -> tuple[str, bytes] | None:
        try:
            kept: list[Any] = await self._client().hmget(SNAPSHOT_KEY, ["position", "data"])
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None
        position, data = kept
        return None if position is None or data is None else (position.decode(), data)

    async def claim_snapshot(self, position: str, since: int) -> tuple[bool, int]:
        """May this worker write the snapshot at `position`? Only one worker of the store writes one at a
        time, and none when the log since the kept snapshot is shorter than `since` entries."""
        try:
            granted, size = await self._client().eval(
                CLAIM_SNAPSHOT, 3, SNAPSHOT_CLAIM_KEY, LOG_KEY, SNAPSHOT_KEY, position, since, CLAIM_MS
            )
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None
        return bool(granted), int(size)

    async def save_snapshot(self, position: str, data: bytes, *, claimed: bool = False) -> None:
        claim = position if claimed else ""
        try:
            await self._client().eval(
                SAVE_SNAPSHOT, 3, SNAPSHOT_KEY, LOG_KEY, SNAPSHOT_CLAIM_KEY, position, data, claim
            )
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None

    async def save_encoded(self, position: str, encode: Callable[[], bytes]) -> int | None:
        """Encode and save the snapshot in a forked copy of this process (as Redis's own BGSAVE does):
        the copy sees the world as it is at the fork, copy-on-write, so the event loop goes on serving
        while the copy encodes (a pause of seconds at a large world, on the one worker that writes). The
        fork happens before this awaits anything: the caller's world is at `position` then."""
        if not hasattr(os, "fork") or threading.current_thread() is not threading.main_thread():
            # no fork from the start-up replay's thread (the main thread waits on it meanwhile): encoded here
            data = encode()
            await self.save_snapshot(position, data, claimed=True)
            return len(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: a fork with threads running
            child = os.fork()
        if child == 0:  # pragma: no cover - the forked copy: never returns into the event loop
            _write_forked(self.url, position, encode)
        self._writers.add(asyncio.ensure_future(self._reap(child)))
        return None

    async def _reap(self, child: int) -> None:
        try:
            _, status = await asyncio.to_thread(os.waitpid, child, 0)
            if status != 0:
                logger.warning(
                    "snapshot not written: its writer (pid %d) ended with status %d", child, status
                )
        finally:
            self._writers.discard(asyncio.current_task())

    async def settle_writers(self) -> None:
        """Wait for the snapshot writers under way (tests; a clean stop)."""
        while self._writers:
            await asyncio.gather(*list(self._writers), return_exceptions=True)

    async def detach(self) -> None:
        await self.settle_writers()  # a writer forked on this loop (the start-up replay's) is waited for
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()

    async def close(self) -> None:
        await self.detach()


def _write_forked(url: str, position: str, encode: Callable[[], bytes]) -> NoReturn:
    """In the forked copy: encode, save with a connection of its own (the parent's belongs to its event
    loop), and exit without running anything of the parent's (no atexit, no buffered output)."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server: the copy finishes its save
        gc.disable()  # a collection would touch (and so copy) every tracked object of the parent's
        data = encode()
        with SyncRedis.from_url(url, socket_connect_timeout=2, socket_timeout=60) as client:
            client.eval(SAVE_SNAPSHOT, 3, SNAPSHOT_KEY, LOG_KEY, SNAPSHOT_CLAIM_KEY, position, data, position)
        code = 0
    except BaseException as error:
        with contextlib.suppress(Exception):  # a raw write: a lock another thread held at the fork stays held
            os.write(2, f"fanfare-mock: snapshot not written: {error!r}\n".encode())
    finally:
        os._exit(code)

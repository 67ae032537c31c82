"""The shared engine for `--store redis://...`: the log is a Redis Stream (Redis orders the appends of
every worker and host), the latest snapshot a hash. One exchange is one pipelined round trip: the
batch's XADDs, then an XRANGE past the worker's position. Works with Valkey too (the same protocol)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from mock_server.store.log import Encoded, Entry, StoreUnavailable

#: Entries read per exchange (a long history is replayed in bounded steps).
READ_LIMIT = 5_000
PREFIX = "fanfare-mock:"
LOG_KEY = PREFIX + "log"
SNAPSHOT_KEY = PREFIX + "snapshot"

# Keep the snapshot only if it is newer than the kept one (stream ids compare as ms, then sequence).
_SAVE_SNAPSHOT = """
local kept = redis.call('HGET', KEYS[1], 'position')
if kept then
  local a, b = string.match(kept, '(%d+)-(%d+)')
  local c, d = string.match(ARGV[1], '(%d+)-(%d+)')
  a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
  if c < a or (c == a and d <= b) then return 0 end
end
redis.call('HSET', KEYS[1], 'position', ARGV[1], 'data', ARGV[2])
return 1
"""


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

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redacted(url)
        self._clients: dict[int, Redis] = {}  # one per event loop (the start-up replay runs on its own)

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

    async def exchange(self, commands: Sequence[Encoded], after: str) -> tuple[list[str], list[Entry], bool]:
        # A pure read is retried once on a fresh connection (the first use of a pooled connection after
        # Redis came back fails); appends never are (a lost reply would append them twice).
        attempts = 1 if commands else 2
        for attempt in range(attempts):
            try:
                replies = await self._send(commands, after)
                break
            except (RedisError, OSError) as error:
                if attempt + 1 == attempts:
                    raise self._unavailable(error) from None
        ids = [i.decode() for i in replies[:-1]]
        rows = replies[-1]
        entries = [(i.decode(), fields[b"c"], fields.get(b"r")) for i, fields in rows]
        return ids, entries, len(rows) == READ_LIMIT

    async def _send(self, commands: Sequence[Encoded], after: str) -> list[Any]:
        async with self._client().pipeline(transaction=False) as pipe:
            for data, raw in commands:
                fields: dict[Any, Any] = {b"c": data} if raw is None else {b"c": data, b"r": raw}
                pipe.xadd(LOG_KEY, fields)
            pipe.xrange(LOG_KEY, min=f"({after}", max="+", count=READ_LIMIT)
            replies: list[Any] = await pipe.execute()
        return replies

    async def latest_snapshot(self) -> tuple[str, bytes] | None:
        try:
            kept: list[Any] = await self._client().hmget(SNAPSHOT_KEY, ["position", "data"])
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None
        position, data = kept
        return None if position is None or data is None else (position.decode(), data)

    async def save_snapshot(self, position: str, data: bytes) -> None:
        try:
            await self._client().eval(_SAVE_SNAPSHOT, 1, SNAPSHOT_KEY, position, data)
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None

    async def detach(self) -> None:
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()

    async def close(self) -> None:
        await self.detach()

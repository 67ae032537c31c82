"""The shared engine for `--store redis://...`: the log is a Redis Stream (Redis orders the appends of
every worker and host), the latest snapshot a hash. One exchange is one round trip, a script: the
batch's XADDs, then an XRANGE past the worker's position. Saving a snapshot trims the stream before it.
Works with Valkey too (the same protocol)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError
from redis.retry import Retry

from mock_server.store.log import Encoded, Exchanged, StoreUnavailable

#: Entries read per exchange (a long history is replayed in bounded steps).
READ_LIMIT = 5_000
PREFIX = "fanfare-mock:"
LOG_KEY = PREFIX + "log"
SNAPSHOT_KEY = PREFIX + "snapshot"

# Ids compare as ms, then sequence (Lua numbers are doubles: exact below 2^53, far past any ms clock).
_OLDER = """
local function older(x, y)
  local a, b = string.match(x, '(%d+)-(%d+)')
  local c, d = string.match(y, '(%d+)-(%d+)')
  a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
  return a < c or (a == c and b < d)
end
"""

# Keep the snapshot only if it is newer than the kept one, and trim the stream up to it: what precedes
# the snapshot is never read again (a reader behind it restores the snapshot first, see _EXCHANGE).
_SAVE_SNAPSHOT = (
    _OLDER
    + """
local kept = redis.call('HGET', KEYS[1], 'position')
if kept and not older(kept, ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'position', ARGV[1], 'data', ARGV[2])
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[1])
return 1
"""
)

# One exchange, atomically: append the commands (ARGV[4..]: the JSON part, then '1'..raw body or '0'),
# then read past ARGV[1]; a reader behind the kept snapshot (the stream was trimmed past it) gets the
# snapshot and reads past it instead. Atomic, so the snapshot never holds the commands just appended.
_EXCHANGE = (
    _OLDER
    + """
local ids = {}
for i = 1, tonumber(ARGV[3]) do
  local data, raw = ARGV[2 + 2 * i], ARGV[3 + 2 * i]
  if string.sub(raw, 1, 1) == '1' then
    ids[i] = redis.call('XADD', KEYS[1], '*', 'c', data, 'r', string.sub(raw, 2))
  else
    ids[i] = redis.call('XADD', KEYS[1], '*', 'c', data)
  end
end
local after, snapshot = ARGV[1], false
local kept = redis.call('HGET', KEYS[2], 'position')
if kept and older(after, kept) then
  snapshot = redis.call('HMGET', KEYS[2], 'position', 'data')
  after = kept
end
return {ids, redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', ARGV[2]), snapshot}
"""
)

# Found a new world: append the commands only onto an empty log with no snapshot (one founder wins).
_FOUND = """
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('XLEN', KEYS[1]) > 0 then return 0 end
for i = 1, #ARGV do redis.call('XADD', KEYS[1], '*', 'c', ARGV[i]) end
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
        self._exchange_sha = hashlib.sha1(_EXCHANGE.encode()).hexdigest()
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

    async def exchange(self, commands: Sequence[Encoded], after: str) -> Exchanged:
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
        appended, rows, snapshot = replies
        ids = [i.decode() for i in appended]
        entries = []
        for i, flat in rows:  # a Lua reply gives a stream entry's fields as a flat list
            fields = dict(zip(flat[::2], flat[1::2], strict=True))
            entries.append((i.decode(), fields[b"c"], fields.get(b"r")))
        restore = None if not snapshot else (snapshot[0].decode(), snapshot[1])
        return ids, entries, len(rows) == READ_LIMIT, restore

    async def _send(self, commands: Sequence[Encoded], after: str) -> list[Any]:
        client = self._client()
        args: list[Any] = [after, READ_LIMIT, len(commands)]
        for data, raw in commands:
            args += [data, b"0" if raw is None else b"1" + raw]
        try:
            return await client.evalsha(self._exchange_sha, 2, LOG_KEY, SNAPSHOT_KEY, *args)  # type: ignore[no-any-return]
        except NoScriptError:  # a restarted (or flushed) Redis: the script is sent again, nothing ran
            self._exchange_sha = await client.script_load(_EXCHANGE)
            return await client.evalsha(self._exchange_sha, 2, LOG_KEY, SNAPSHOT_KEY, *args)  # type: ignore[no-any-return]

    async def found(self, commands: Sequence[bytes]) -> bool:
        try:
            done = await self._client().eval(_FOUND, 2, LOG_KEY, SNAPSHOT_KEY, *commands)
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

    async def save_snapshot(self, position: str, data: bytes) -> None:
        try:
            await self._client().eval(_SAVE_SNAPSHOT, 2, SNAPSHOT_KEY, LOG_KEY, position, data)
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None

    async def detach(self) -> None:
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()

    async def close(self) -> None:
        await self.detach()

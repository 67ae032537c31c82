"""The Redis stream does not grow without bound: a snapshot trims the log before it. A worker that was
idle while the others wrote past the trim point restores the snapshot first, and then sees every write;
the world is the same, byte for byte, on every worker and on one started after the trim."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import redis

from mock_server.app import create_app
from mock_server.store import replica
from mock_server.store.redis_log import LOG_KEY, SNAPSHOT_KEY
from mock_server.store.services import RedisServer

HEADERS = {"Authorization": "Bearer sk_test_trimming"}


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock", headers=HEADERS)


async def _names(client: httpx.AsyncClient) -> list[str]:
    answer = await client.get("/api/v1/audiences")
    assert answer.status_code == 200, answer.text
    return sorted(a["name"] for a in answer.json())


async def _run(url: str) -> None:
    busy, idle = create_app(store=url, consumers=30), create_app(store=url, consumers=30)
    try:
        async with _client(busy) as writer, _client(idle) as sleeper:
            assert await _names(sleeper) == []  # the idle worker is at the head of the log
            for i in range(35):
                created = await writer.post("/api/v1/audiences", json={"name": f"a{i:02}", "type": "STATIC"})
                assert created.status_code == 201, created.text
                # a snapshot is written by a forked copy; while one is, the next claim is refused
                await busy.state.replica.log.settle_writers()
            store = redis.Redis.from_url(url)
            kept = store.hget(SNAPSHOT_KEY, "position").decode()
            first = store.xrange(LOG_KEY, count=1)[0][0].decode()
            assert store.xlen(LOG_KEY) <= 11, "the log before the latest snapshot is trimmed"
            assert first >= kept
            assert idle.state.replica.position < kept, "the idle worker is behind the trim point"

            expected = [f"a{i:02}" for i in range(35)]
            assert await _names(sleeper) == expected  # it restored the snapshot, then read past it
            moved = await sleeper.post("/api/v1/audiences", json={"name": "from idle", "type": "STATIC"})
            assert moved.status_code == 201, moved.text
            assert await _names(writer) == sorted([*expected, "from idle"])
            one, other = await writer.get("/_mock/state"), await sleeper.get("/_mock/state")
            assert one.status_code == 200 and one.content == other.content
        late = create_app(store=url, consumers=30)
        try:
            async with _client(late) as client:
                assert (await client.get("/_mock/state")).content == one.content
        finally:
            await late.state.replica.log.close()
    finally:
        await busy.state.replica.log.close()
        await idle.state.replica.log.close()


def test_a_snapshot_trims_the_stream_and_a_worker_behind_it_catches_up(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica, "SNAPSHOT_EVERY", 10)
    monkeypatch.setattr(replica, "SNAPSHOT_GROWTH", 0)  # every 10 commands, however large the world
    asyncio.run(_run(redis_server.url))

"""The shortcut for reads on one host, over a real redis-server: the processes of a host share a position
page and their group holds a read lease in the store; inside it a read asks the store only when the page
shows a write it has not applied. A write from another host (no page, or another page) takes the lease
away and is acknowledged only once no reader of this host still trusts it. And one snapshot writer per
store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_py

from mock_server.app import create_app
from mock_server.store import replica
from mock_server.store.position_page import PAGE_DIR
from mock_server.store.redis_log import RedisLog
from mock_server.store.redis_scripts import CONTESTED_KEY, LEASE_KEY, SNAPSHOT_KEY
from mock_server.store.services import RedisServer

HEADERS = {"Authorization": "Bearer sk_test_lease"}
COMMAND = (b'{"op":"noop"}', None)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def host_log(url: str, pages: Path, monkeypatch: pytest.MonkeyPatch) -> RedisLog:
    """A log as a process of the host whose pages are in `pages` opens it."""
    pages.mkdir(exist_ok=True)
    monkeypatch.setenv(PAGE_DIR, str(pages))
    return RedisLog(url)


def test_processes_of_one_host_share_a_group_and_a_page(
    redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = (
        host_log(redis.url, tmp_path / "a", monkeypatch),
        host_log(redis.url, tmp_path / "a", monkeypatch),
    )
    other = host_log(redis.url, tmp_path / "b", monkeypatch)
    assert one.group == two.group != other.group != ""
    monkeypatch.setenv(PAGE_DIR, "off")
    assert RedisLog(redis.url).group == ""


def test_inside_the_lease_a_read_asks_the_store_only_when_the_page_moved(
    redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = host_log(redis.url, tmp_path, monkeypatch), host_log(redis.url, tmp_path, monkeypatch)

    async def run() -> None:
        assert not reader.settled("0-0"), "no lease yet: a read asks the store"
        _, entries, _, _ = await reader.exchange([COMMAND], "0-0")
        at = entries[-1][0]
        assert reader.settled(at), "granted, and at the page's position"
        ids, _, _, _ = await writer.exchange([COMMAND], at)  # another process of the host writes
        assert not reader.settled(at), "the page shows the write before it is acknowledged"
        assert reader.settled(ids[0])
        await reader.close()
        await writer.close()

    asyncio.run(run())


def test_a_write_from_another_host_waits_until_no_reader_here_trusts_the_lease(
    redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = host_log(redis.url, tmp_path / "here", monkeypatch)
    monkeypatch.setenv(PAGE_DIR, "off")
    elsewhere = RedisLog(redis.url)  # a host without this page: it always asks the store
    store = redis_client(redis)

    async def run() -> None:
        _, entries, _, _ = await here.exchange([COMMAND], "0-0")
        at = entries[-1][0]
        assert here.settled(at) and store.get(LEASE_KEY) is not None
        await elsewhere.exchange([COMMAND], at)  # returns when the write may be acknowledged
        assert not here.settled(at), "no reader here trusts the lease once the write is acknowledged"
        assert store.get(LEASE_KEY) is None and store.smembers(CONTESTED_KEY) == {here.group.encode()}
        await here.exchange((), at)
        assert not here.settled(at), "contested: the lease is not granted again while the other host writes"
        await here.close()
        await elsewhere.close()

    asyncio.run(run())


def test_a_failed_exchange_forgets_the_lease(
    redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = host_log(redis.url, tmp_path, monkeypatch)

    async def run() -> None:
        _, entries, _, _ = await log.exchange([COMMAND], "0-0")
        at = entries[-1][0]
        assert log.settled(at)
        redis.stop()
        with pytest.raises(Exception, match="cannot be reached"):
            await log.exchange((), at)
        assert not log.settled(at), "the store is gone: reads ask it, and answer 503"
        await log.close()

    asyncio.run(run())


def redis_client(redis: RedisServer) -> redis_py.Redis:
    return redis_py.Redis.from_url(redis.url)


def test_two_writing_hosts_end_with_no_lease_and_no_wait(
    redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = host_log(redis.url, tmp_path / "a", monkeypatch), host_log(redis.url, tmp_path / "b", monkeypatch)
    store = redis_client(redis)

    async def run() -> None:
        await a.exchange([COMMAND], "0-0")
        assert store.get(LEASE_KEY) == a.group.encode()
        await b.exchange([COMMAND], "0-0")  # takes it from a: answered once a's lease ran out
        assert store.get(LEASE_KEY) is None and store.smembers(CONTESTED_KEY) == {a.group.encode()}
        await b.exchange((), "0-0")  # b was not in the contest: it may hold the lease now
        assert store.get(LEASE_KEY) == b.group.encode()
        await a.exchange([COMMAND], "0-0")
        assert store.get(LEASE_KEY) is None
        assert store.smembers(CONTESTED_KEY) == {a.group.encode(), b.group.encode()}
        waits: list[float] = []
        real_sleep = asyncio.sleep

        async def sleep(seconds: float) -> None:
            waits.append(seconds)
            await real_sleep(seconds)

        monkeypatch.setattr(asyncio, "sleep", sleep)
        for log in (a, b, a, b):
            _, entries, _, _ = await log.exchange([COMMAND], "0-0")
            assert not log.settled(entries[-1][0])
        assert waits == [], "no lease to wait out: writes are acknowledged at once"
        await a.close()
        await b.close()

    asyncio.run(run())


def test_one_snapshot_writer_for_two_replicas(
    redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PAGE_DIR, str(tmp_path))
    monkeypatch.setattr(replica, "SNAPSHOT_EVERY", 10)
    monkeypatch.setattr(replica, "SNAPSHOT_GROWTH", 0)
    saved: list[str] = []

    async def run() -> tuple[bytes, bytes]:
        apps = [create_app(store=redis.url, consumers=30) for _ in range(2)]
        for app in apps:
            log = app.state.replica.log
            claim = log.claim_snapshot

            async def spy(position: str, since: int, claim=claim) -> tuple[bool, int]:  # type: ignore[no-untyped-def]
                granted, size = await claim(position, since)
                if granted:
                    saved.append(position)
                return granted, size

            log.claim_snapshot = spy
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock", headers=HEADERS)
            for app in apps
        ]
        try:
            for i in range(60):
                created = await clients[i % 2].post(
                    "/api/v1/audiences", json={"name": f"a{i}", "type": "STATIC"}
                )
                assert created.status_code == 201
            return tuple([(await c.get("/_mock/state")).content for c in clients])  # type: ignore[return-value]
        finally:
            for c in clients:
                await c.aclose()
            for app in apps:
                await app.state.replica.log.close()

    first, second = asyncio.run(run())
    assert first == second
    assert len(saved) == len(set(saved)), "no snapshot position written twice"
    # at most one per 10 commands of the store (fewer when a writer is still at work), not one per replica
    assert 1 <= len(saved) <= 7, saved
    kept = redis_client(redis).hget(SNAPSHOT_KEY, "position")
    assert kept is not None and kept.decode() == saved[-1], "the last one claimed is the one kept (forked)"


def test_a_lease_is_trusted_for_less_than_the_store_grants_it(
    redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = host_log(redis.url, tmp_path, monkeypatch)
    store = redis_client(redis)

    async def run() -> None:
        await log.exchange([COMMAND], "0-0")
        granted = store.pttl(LEASE_KEY)  # type: ignore[attr-defined]
        _, lease = log._page.read()  # type: ignore[union-attr]
        assert (lease - time.monotonic_ns()) / 1e6 < granted
        await log.close()

    asyncio.run(run())

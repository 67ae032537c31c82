"""One world on a real Redis: two workers behind one port and a second process on another port serve
the same world, with read-your-writes across them, no lost or doubled write, kill -9 of a worker losing
no acknowledged write, and a restart of everything giving back the same world, byte for byte."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from store_http import HEADERS, create_audience, everyone, fresh_get, walk

from mock_server.store.services import RedisServer, ServedMock

pytestmark = pytest.mark.slow


class Cluster:
    def __init__(self, redis: RedisServer) -> None:
        self.redis = redis
        # a frozen clock: an export of a running one says its own now (workers now get serve's real clock)
        frozen = ("--clock", "2025-06-01T00:00:00Z")
        options = ("--store", redis.url, "--consumers", "300", "--seed", "5", *frozen)
        self.pair = ServedMock(*options, "--workers", "2")
        self.single = ServedMock(*options)

    def start(self) -> Cluster:
        self.pair.start()
        self.single.start()
        return self

    def stop(self) -> None:
        self.pair.stop()
        self.single.stop()

    @property
    def bases(self) -> list[str]:
        return [self.pair.url, self.single.url]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with RedisServer() as redis:
        running = Cluster(redis).start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(autouse=True)
def fresh_world(cluster: Cluster) -> None:
    assert httpx.post(f"{cluster.pair.url}/_mock/reset", timeout=30).status_code == 200


def test_fifty_concurrent_writers_lose_nothing(cluster: Cluster) -> None:
    consumers = everyone(cluster.single.url, 200)
    target = create_audience(cluster.pair.url, "Fifty writers")
    batches = [consumers[i * 4 : i * 4 + 4] for i in range(50)]

    def add(i: int) -> int:
        base = cluster.bases[i % 2]
        with httpx.Client(base_url=base, headers=HEADERS, timeout=30) as client:
            response = client.post(f"/api/v1/audiences/{target}/members", json={"consumerIds": batches[i]})
        assert response.status_code == 200, response.text
        return int(response.json()["addedCount"])

    with ThreadPoolExecutor(50) as pool:
        added = list(pool.map(add, range(50)))
    assert added == [4] * 50
    for base in cluster.bases:
        count = fresh_get(base, f"/api/v1/audiences/{target}/count").json()["count"]
        assert count == 200
        members = walk([base], f"/api/v1/audiences/{target}/members", first=100)
        assert sorted(members) == sorted(consumers), "every add present, once"


def test_a_create_is_readable_at_once_everywhere_a_thousand_times(cluster: Cluster) -> None:
    bases = cluster.bases
    for i in range(1000):
        writer, reader = bases[i % 2], bases[(i + 1) % 2] if i % 4 < 2 else bases[i % 2]
        audience = create_audience(writer, f"Seen {i}")
        response = fresh_get(reader, f"/api/v1/audiences/{audience}")
        assert response.status_code == 200, f"create {i} on {writer} not visible on {reader}"


def test_a_members_walk_through_alternating_workers_sees_every_member_once(cluster: Cluster) -> None:
    consumers = everyone(cluster.pair.url, 150)
    target = create_audience(cluster.single.url, "Walked")
    with httpx.Client(base_url=cluster.pair.url, headers=HEADERS, timeout=30) as client:
        response = client.post(f"/api/v1/audiences/{target}/members", json={"consumerIds": consumers})
        assert response.status_code == 200
    seen = walk(cluster.bases, f"/api/v1/audiences/{target}/members", first=7)
    assert len(seen) == len(set(seen)) == 150
    assert set(seen) == set(consumers)


def test_kill_9_of_a_worker_during_writes_loses_no_acknowledged_write(cluster: Cluster) -> None:
    acknowledged: list[str] = []
    stop = threading.Event()

    def write(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                with httpx.Client(base_url=cluster.pair.url, headers=HEADERS, timeout=10) as client:
                    response = client.post("/api/v1/audiences", json={"name": f"w{n}-{i}", "type": "STATIC"})
            except httpx.TransportError:
                continue  # the killed worker's connection: not acknowledged
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()

    def until(count: int) -> None:
        deadline = time.monotonic() + 60
        while len(acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    until(10)
    victim = cluster.pair.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = len(acknowledged)
    until(killed_at + 20)  # the other worker goes on answering
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= killed_at + 20
    for base in cluster.bases:
        for audience in acknowledged:
            assert fresh_get(base, f"/api/v1/audiences/{audience}").status_code == 200


def test_everything_restarted_gives_the_same_world_byte_for_byte(cluster: Cluster) -> None:
    consumers = everyone(cluster.pair.url, 50)
    listed = create_audience(cluster.single.url, "Kept")
    with httpx.Client(base_url=cluster.pair.url, headers=HEADERS, timeout=30) as client:
        assert (
            client.post(f"/api/v1/audiences/{listed}/members", json={"consumerIds": consumers}).status_code
            == 200
        )
        assert client.post("/_mock/clock", json={"advanceSeconds": 3600}).status_code == 200
    for i in range(20):
        create_audience(cluster.bases[i % 2], f"More {i}")
    before = [httpx.get(f"{base}/_mock/state", timeout=30).content for base in cluster.bases]
    assert before[0] == before[1], "both processes serve one world"
    cluster.stop()
    cluster.start()
    after = [httpx.get(f"{base}/_mock/state", timeout=30).content for base in cluster.bases]
    assert after == before

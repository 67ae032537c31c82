"""Two hosts on one store, over a real redis-server: two workers sharing this host's position page (the
shortcut for reads) and a process standing for another host (its own page): a write answered on either is
readable at once on the other, 1,000 times, and an update is seen by the very next read (no stale answer
from a replica that trusted its page while the other host wrote); likewise between two processes of one
host (the neighbour writes the shared page before it answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_http import client, create_audience, fresh_get

from mock_server.store.position_page import PAGE_DIR
from mock_server.store.services import RedisServer, ServedMock

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServedMock, ServedMock, ServedMock]]:
    """Two workers on host A, another process on host A (same page), and one on host B."""
    pages: list[Path] = [tmp_path_factory.mktemp(name) for name in ("host-a", "host-b")]
    with RedisServer() as redis:
        options = ("--store", redis.url, "--consumers", "100", "--clock", "2025-06-01T00:00:00Z")
        here = ServedMock(*options, "--workers", "2", env={PAGE_DIR: str(pages[0])})
        neighbour = ServedMock(*options, env={PAGE_DIR: str(pages[0])})
        there = ServedMock(*options, env={PAGE_DIR: str(pages[1])})
        with here, neighbour, there:
            yield here, neighbour, there


def renamed_in_turn(first: str, second: str, times: int) -> None:
    """Rename one audience on each base in turn; the very next read, on the other, sees the new name."""
    audience = create_audience(first, "Renamed 0")
    for i in range(1, times):
        writer, reader = (second, first) if i % 2 else (first, second)
        updated = client(writer).put(f"/api/v1/audiences/{audience}", json={"name": f"Renamed {i}"})
        assert updated.status_code == 200, updated.text
        assert fresh_get(reader, f"/api/v1/audiences/{audience}").json()["name"] == f"Renamed {i}"


def test_an_update_by_a_neighbour_on_the_same_page_is_the_next_read(
    hosts: tuple[ServedMock, ServedMock, ServedMock],
) -> None:
    renamed_in_turn(hosts[0].url, hosts[1].url, 300)


def test_a_create_on_one_host_is_readable_at_once_on_the_other_a_thousand_times(
    hosts: tuple[ServedMock, ServedMock, ServedMock],
) -> None:
    bases = [hosts[0].url, hosts[2].url]
    for i in range(1000):
        writer, reader = bases[i % 2], bases[(i + 1) % 2]
        audience = create_audience(writer, f"Seen {i}")
        response = fresh_get(reader, f"/api/v1/audiences/{audience}")
        assert response.status_code == 200, f"create {i} on {writer} not visible on {reader}"


def test_an_update_on_one_host_is_the_next_read_on_the_other(
    hosts: tuple[ServedMock, ServedMock, ServedMock],
) -> None:
    renamed_in_turn(hosts[0].url, hosts[2].url, 200)

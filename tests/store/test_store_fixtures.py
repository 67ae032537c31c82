"""The plugin's fixtures for clients of a shared mock: a real Redis and two `serve` processes on it (one
with two workers) serve one world."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

HEADERS = {"Authorization": "Bearer sk_test_fixture"}


def test_two_served_mocks_on_the_plugins_redis_share_one_world(
    fanfare_redis: Any, fanfare_served: Any
) -> None:
    pair = fanfare_served("--store", fanfare_redis.url, "--workers", "2", "--consumers", "50")
    single = fanfare_served("--store", fanfare_redis.url, "--consumers", "50")
    assert len(pair.worker_pids()) == 2
    created = httpx.post(
        f"{pair.url}/api/v1/audiences", json={"name": "Shared", "type": "STATIC"}, headers=HEADERS
    )
    assert created.status_code == 201
    seen = httpx.get(f"{single.url}/api/audiences/{created.json()['id']}", headers=HEADERS)
    assert seen.status_code == 200
    assert seen.json()["name"] == "Shared"

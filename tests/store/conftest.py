"""Real parts for the store tests: a `redis-server` on a free port (never 6379) in a temporary
directory, and `fanfare-mock serve` subprocesses on a store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server.store.services import RedisServer


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server

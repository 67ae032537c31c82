"""The pytest plugin: fixtures that give a test a fresh, isolated, deterministic Fanfare.

* `fanfare_mock`: in-process (no port), a new world per test; `.client` is a sync HTTP client already
  carrying a secret key.
* `fanfare_live`: a real uvicorn server on a free port, shared by the session (one per configuration)
  and reset before each test; `.base_url` for any HTTP client, other processes and browsers.

* `fanfare_redis` and `fanfare_served`: for clients of a shared, multi-worker mock, a real `redis-server`
  on a free port and `fanfare-mock serve` processes on it (`fanfare_served("--store", url, "--workers",
  "2")`), all stopped after the test.

The first two hand out the same `FanfareMock` controls: the clock, jobs, fault rules, the request
journal, reset, and the state behind the app.
Configure with `@pytest.mark.fanfare(seed=..., consumers=..., keys=[...])` or the `fanfare_seed` and
`fanfare_consumers` ini options.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mock_server.fixtures import (
    DEFAULT_KEY,
    Clock,
    FanfareMock,
    Faults,
    InProcessMock,
    Jobs,
    Journal,
    LiveMock,
    LiveServers,
    WorldOptions,
    build_app,
    key_of,
)

__all__ = (
    "DEFAULT_KEY",
    "Clock",
    "FanfareMock",
    "Faults",
    "InProcessMock",
    "Jobs",
    "Journal",
    "LiveMock",
    "WorldOptions",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("fanfare_seed", "seed of the mock's world in the fanfare fixtures", default="0")
    parser.addini("fanfare_consumers", "consumers per organization in the fanfare fixtures", default="200")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fanfare(seed=0, consumers=200, keys=None, scenario=None): configure the world of fanfare_mock and "
        "fanfare_live (scenario: a YAML/JSON file, 'demo', a dict, or a list of them, loaded in order)",
    )


def _options(request: pytest.FixtureRequest) -> WorldOptions:
    marker = request.node.get_closest_marker("fanfare")
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker else {}
    keys = kwargs.get("keys")
    return WorldOptions(
        seed=int(kwargs.get("seed", request.config.getini("fanfare_seed"))),
        consumers=int(kwargs.get("consumers", request.config.getini("fanfare_consumers"))),
        keys=tuple(keys) if keys else None,
        scenarios=_scenarios(kwargs.get("scenario"), request),
    )


def _scenarios(given: Any, request: pytest.FixtureRequest) -> tuple[Any, ...]:
    """The marker's `scenario=`: file paths (relative to the test file, or as given), `demo`, dicts."""
    from pathlib import Path

    from mock_server.scenarios import BUILT_IN, from_data, read

    if given is None:
        return ()
    items = given if isinstance(given, list | tuple) else [given]
    sources = []
    for item in items:
        if isinstance(item, dict):
            sources.append(from_data(item, f"scenario of {request.node.name}"))
            continue
        name = str(item)
        beside = Path(request.path).parent / name
        sources.append(read(str(beside) if name not in BUILT_IN and beside.is_file() else name))
    return tuple(sources)


@pytest.fixture
def fanfare_mock(request: pytest.FixtureRequest) -> Iterator[InProcessMock]:
    """A fresh in-process mock for this test (no port); `.client` speaks to it with a secret key."""
    options = _options(request)
    mock = InProcessMock(build_app(options), key_of(options), "http://fanfare.test")
    try:
        yield mock
    finally:
        mock.close()


@pytest.fixture(scope="session")
def fanfare_live_servers() -> Iterator[LiveServers]:
    """The live servers of the session (the `fanfare_live` fixture picks one and resets it per test)."""
    servers = LiveServers()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def fanfare_live(request: pytest.FixtureRequest, fanfare_live_servers: LiveServers) -> Iterator[LiveMock]:
    """The live mock for this test's configuration, reset to its freshly seeded world (no fault rules, an
    empty journal) and given the test's `scenario=` if it has one, its tenant already seeded so the
    test's first request is not the one that seeds it."""
    options = _options(request)
    server = fanfare_live_servers.for_options(options)
    app = server.app
    state = app.state
    state.forget_scenarios()  # the server is shared: the previous test's scenarios go
    state.reset(None)
    for source in options.scenarios:
        state.scenarios.load(state, source)
    mock = LiveMock(app, key_of(options), server.base_url)
    mock.client.get("/api/v1/audiences", timeout=120)  # seeds the tenant (seconds on a busy machine)
    app.state.journal.clear()
    try:
        yield mock
    finally:
        mock.close()


@pytest.fixture
def fanfare_redis() -> Iterator[Any]:
    """A real `redis-server` on a free loopback port, data in a temporary directory (`.url`); stopped
    after the test. Needs `redis-server` installed (Debian: `apt-get install redis-server`)."""
    from mock_server.store.services import RedisServer

    with RedisServer() as server:
        yield server


@pytest.fixture
def fanfare_served() -> Iterator[Any]:
    """Start `fanfare-mock serve` processes: `fanfare_served("--store", fanfare_redis.url, "--workers",
    "2")` returns a started server (`.url`, `.port`, `.worker_pids()`, `.kill()`); all are stopped after
    the test."""
    from mock_server.store.services import ServedMock

    started: list[ServedMock] = []

    def serve(*args: str) -> ServedMock:
        served = ServedMock(*args).start()
        started.append(served)
        return served

    try:
        yield serve
    finally:
        for served in reversed(started):
            served.stop()

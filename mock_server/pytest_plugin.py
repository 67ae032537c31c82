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

import inspect
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import pytest

# The value types only (light: no web shell, no domain), so loading the plugin stays cheap.
from mock_server.control.fault import Fault
from mock_server.control.journal_query import JournalQuery

DEFAULT_KEY = "sk_test_fanfare_fixture"


P = ParamSpec("P")
Value = TypeVar("Value")
Handle = TypeVar("Handle")
Result = TypeVar("Result")


def _taking(
    value_type: Callable[P, Value],
) -> Callable[[Callable[[Handle, Value], Result]], Callable[Concatenate[Handle, P], Result]]:
    """A handle method that takes one value (`Fault`, `JournalQuery`), called with that value's own
    fields: the keywords are written once, on the value type, and type-checked from there."""

    def decorate(method: Callable[[Handle, Value], Result]) -> Callable[Concatenate[Handle, P], Result]:
        def taking(self: Handle, /, *args: P.args, **kwargs: P.kwargs) -> Result:
            return method(self, value_type(*args, **kwargs))

        fields = inspect.signature(value_type).parameters.values()
        own = inspect.signature(method)
        signature = own.replace(parameters=[*list(own.parameters.values())[:1], *fields])
        taking.__name__, taking.__qualname__, taking.__doc__ = (
            method.__name__,
            method.__qualname__,
            method.__doc__,
        )
        setattr(taking, "__signature__", signature)  # noqa: B010 (help() shows the value's fields)
        return taking

    return decorate


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("fanfare_seed", "seed of the mock's world in the fanfare fixtures", default="0")
    parser.addini("fanfare_consumers", "consumers per organization in the fanfare fixtures", default="200")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fanfare(seed=0, consumers=200, keys=None, scenario=None): configure the world of fanfare_mock and "
        "fanfare_live (scenario: a YAML/JSON file, 'demo', a dict, or a list of them, loaded in order)",
    )


@dataclass(frozen=True)
class WorldOptions:
    seed: int
    consumers: int
    keys: tuple[str, ...] | None
    #: not part of the identity: a live server serves every scenario (loaded per test)
    scenarios: tuple[Any, ...] = field(default=(), compare=False)


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


class Clock:
    """The world's virtual clock, as a test drives it."""

    def __init__(self, state: Any) -> None:
        self._state = state

    def now(self) -> datetime:
        return self._state.clock.now()  # type: ignore[no-any-return]

    def set(self, instant: datetime | str) -> datetime:
        if isinstance(instant, str):
            instant = datetime.fromisoformat(instant.replace("Z", "+00:00"))
        return self._state.clock.set(instant)  # type: ignore[no-any-return]

    def advance(self, seconds: float) -> datetime:
        return self._state.clock.advance(seconds)  # type: ignore[no-any-return]


class Jobs:
    """How the tenant's CSV imports and list syncs progress, and their forced outcomes."""

    def __init__(self, mock: FanfareMock) -> None:
        self._mock = mock

    def _board(self, key: str | None) -> Any:
        return self._mock.state.world.organization_for_key(key or self._mock.key).jobs

    def progression(
        self, kind: str, mode: str, *, reads: int = 2, seconds: float = 60.0, key: str | None = None
    ) -> None:
        """`kind` is "import" or "sync"; `mode` "immediate", "afterReads" (done on the N-th status read)
        or "afterSeconds" (done T virtual seconds after the job started)."""
        from mock_server.domain.imports import JobKind, Progression

        chosen = {
            "immediate": Progression.immediate(),
            "afterReads": Progression.after_reads(reads),
            "afterSeconds": Progression.after_seconds(seconds),
        }[mode]
        self._board(key).set_progression(JobKind(kind), chosen)

    def force(
        self,
        kind: str,
        outcome: str,
        *,
        reason: str = "Forced failure",
        row_errors: dict[int, list[str]] | None = None,
        key: str | None = None,
    ) -> None:
        """Make the next job of `kind` end "fail" (FAILED, nothing applied) or "partial" (the given rows
        rejected with their issues)."""
        from mock_server.domain.imports import ForcedOutcome, JobKind, RowError

        errors = tuple(RowError(row, tuple(issues)) for row, issues in (row_errors or {}).items())
        forced = ForcedOutcome.failure(errors, reason) if outcome == "fail" else ForcedOutcome.partial(errors)
        self._board(key).force_next(JobKind(kind), forced)


class Faults:
    """Fault and latency rules (the same rules as `POST /_mock/faults`): only answers the spec declares."""

    def __init__(self, state: Any) -> None:
        self._state = state

    @_taking(Fault)
    def add(self, fault: Fault) -> Any:
        """Keep a `Fault`, given as its fields: `add("getV1Audiences", status=503, times=1)` answers
        `status` (in the family's error envelope, `error` as its text) or the documented `example`,
        and/or delays by `latency_ms`, for calls to that operation (every one if None) by tenant `key`
        (every tenant if None), for the next `times` calls (until removed if None).
        Raises `mock_server.domain.kernel.Invalid` when the rule could never apply as asked (a status the
        operation does not declare, an unknown operationId or example)."""
        return self._state.faults.add(fault)

    def list(self) -> list[Any]:
        """The active rules (`FaultRule`: `.id`, `.hits`, `.remaining`, `.to_json()`...)."""
        return list(self._state.faults.rules)

    def remove(self, rule_id: int) -> bool:
        return self._state.faults.remove(rule_id)  # type: ignore[no-any-return]

    def clear(self) -> int:
        return self._state.faults.clear()  # type: ignore[no-any-return]


class Journal:
    """The requests the mock received, oldest first (`JournalEntry`: `.operation_id`, `.status`,
    `.outcome`, `.tenant` (redacted), `.request_body`, `.response_body`, `.forced`, `.duration_ms`...)."""

    def __init__(self, mock: FanfareMock) -> None:
        self._mock = mock

    @property
    def _journal(self) -> Any:
        return self._mock.state.journal

    @_taking(JournalQuery)
    def entries(self, query: JournalQuery) -> list[Any]:
        """Matching entries, oldest first, given as a `JournalQuery`'s fields: `entries("getV1Audiences",
        status="4xx")`. `status` is 404 or a class like "4xx"; `key` a tenant's secret key; `path` a
        prefix; `forced` True for answers a fault rule or `Prefer` chose; `limit` the newest N, or with
        `after` the first N newer than that seq."""
        return self._journal.entries(query)  # type: ignore[no-any-return]

    @_taking(JournalQuery)
    def last(self, query: JournalQuery) -> Any:
        """The newest entry matching the same fields as `entries`; `LookupError` when there is none."""
        found = self._journal.entries(replace(query, limit=1))
        if not found:
            wanted = query.describe()
            raise LookupError(f"the journal has no entry{' matching ' + wanted if wanted else ''}")
        return found[0]

    @_taking(JournalQuery)
    def count(self, query: JournalQuery) -> int:
        return len(self._journal.entries(query))

    def clear(self) -> int:
        return self._journal.clear()  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self._journal)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._journal)


class FanfareMock:
    """Controls of one mock world, shared by the in-process and the live fixtures."""

    def __init__(self, app: Any, key: str, base_url: str) -> None:
        self.app = app
        self.state = app.state
        self.key = key
        self.base_url = base_url
        self.clock = Clock(self.state)
        self.jobs = Jobs(self)
        self.faults = Faults(self.state)
        self.journal = Journal(self)
        self._clients: list[Any] = []
        self._client: Any = None
        self._transport: Any = None

    @property
    def client(self) -> Any:
        """A sync HTTP client that carries this handle's secret key (made on first use)."""
        if self._client is None:
            self._client = self.client_for(self.key)
        return self._client

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def transport(self) -> Any:
        """An httpx transport that reaches `base_url`: hand both to your own httpx-based client."""
        if self._transport is None:
            self._transport = self._new_transport()
        return self._transport

    def _new_transport(self) -> Any:
        raise NotImplementedError

    def client_for(self, key: str | None) -> Any:
        """An `httpx.Client` for another tenant's key (or none: `client_for(None)` sends no credentials)."""
        import httpx

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, transport=self._new_transport())
        self._clients.append(client)
        return client

    def reset(self, key: str | None = None) -> None:
        """Back to the freshly seeded world (one tenant if a key is given); the fault rules go too (that
        tenant's), the journal stays (`.journal.clear()` empties it)."""
        self.state.reset(key)

    def close(self) -> None:
        for client in self._clients:
            client.close()
        if self._transport is not None:
            self._transport.close()


class InProcessMock(FanfareMock):
    """The in-process handle: its clients and `.transport` call the app directly (no port, and
    `base_url` is a name only they can reach)."""

    def _new_transport(self) -> Any:
        from mock_server.client import InProcessTransport

        return InProcessTransport(self.app)


class LiveMock(FanfareMock):
    """The live server's handle: `base_url` is a real http://127.0.0.1:PORT, reachable by any client."""

    def _new_transport(self) -> Any:
        import httpx

        return httpx.HTTPTransport()


@pytest.fixture
def fanfare_mock(request: pytest.FixtureRequest) -> Iterator[InProcessMock]:
    """A fresh in-process mock for this test (no port); `.client` speaks to it with a secret key."""
    options = _options(request)
    mock = InProcessMock(_app(options), _key(options), "http://fanfare.test")
    try:
        yield mock
    finally:
        mock.close()


def _app(options: WorldOptions, *, scenarios: bool = True) -> Any:
    from mock_server.app import create_app

    return create_app(
        seed=options.seed,
        consumers=options.consumers,
        keys=options.keys,
        log_requests=False,
        scenarios=options.scenarios if scenarios else (),
    )


def _key(options: WorldOptions) -> str:
    return options.keys[0] if options.keys else DEFAULT_KEY


class _LiveServer:
    def __init__(self, app: Any) -> None:
        import uvicorn

        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="fanfare-live", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live fanfare mock did not start within 10 s")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class _LiveServers:
    """The session's live servers, one per world configuration (most sessions need only the default)."""

    def __init__(self) -> None:
        self._servers: dict[WorldOptions, _LiveServer] = {}

    def for_options(self, options: WorldOptions) -> _LiveServer:
        if options not in self._servers:
            app = _app(options, scenarios=False)  # fanfare_live loads them per test
            server = _LiveServer(app)
            server.start()
            app.state.public_url = f"http://127.0.0.1:{server.port}"  # upload URLs point at the real port
            self._servers[options] = server
        return self._servers[options]

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()


@pytest.fixture(scope="session")
def fanfare_live_servers() -> Iterator[_LiveServers]:
    """The live servers of the session (the `fanfare_live` fixture picks one and resets it per test)."""
    servers = _LiveServers()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def fanfare_live(request: pytest.FixtureRequest, fanfare_live_servers: _LiveServers) -> Iterator[LiveMock]:
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
    mock = LiveMock(app, _key(options), server.base_url)
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

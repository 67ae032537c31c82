"""The pytest plugin: fixtures that give a test a fresh, isolated, deterministic Fanfare.

* `fanfare_mock`: in-process (no port), a new world per test; `.client` is a sync HTTP client already
  carrying a secret key.
* `fanfare_live`: a real uvicorn server on a free port, shared by the session and reset before each
  test; `.base_url` for non-Python clients and browsers.

Both hand out the same `FanfareMock` controls: the clock, jobs, fault rules, the request journal, reset,
and the state behind the app.
Configure with `@pytest.mark.fanfare(seed=..., consumers=..., keys=[...])` or the `fanfare_seed` and
`fanfare_consumers` ini options.
"""

from __future__ import annotations

import inspect
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
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
        "markers", "fanfare(seed=0, consumers=200, keys=None): configure the fanfare_mock fixture's world"
    )


@dataclass(frozen=True)
class WorldOptions:
    seed: int
    consumers: int
    keys: tuple[str, ...] | None


def _options(request: pytest.FixtureRequest) -> WorldOptions:
    marker = request.node.get_closest_marker("fanfare")
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker else {}
    keys = kwargs.get("keys")
    return WorldOptions(
        seed=int(kwargs.get("seed", request.config.getini("fanfare_seed"))),
        consumers=int(kwargs.get("consumers", request.config.getini("fanfare_consumers"))),
        keys=tuple(keys) if keys else None,
    )


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
        from mock_server.domain.world import modules_of

        return modules_of(self._mock.state.world.organization_for_key(key or self._mock.key)).jobs

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

    @property
    def client(self) -> Any:
        """A sync HTTP client that carries this handle's secret key (made on first use)."""
        if self._client is None:
            self._client = self.client_for(self.key)
        return self._client

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def client_for(self, key: str | None) -> Any:
        """An HTTP client for another tenant's key (or none: `client_for(None)` sends no credentials)."""
        from mock_server.client import InProcessClient

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = InProcessClient(self.app, base_url=self.base_url, headers=headers)
        self._clients.append(client)
        return client

    def reset(self, key: str | None = None) -> None:
        """Back to the freshly seeded world (one tenant if a key is given); the fault rules go too (that
        tenant's), the journal stays (`.journal.clear()` empties it)."""
        self.state.reset(key)

    def close(self) -> None:
        for client in self._clients:
            client.close()


class InProcessMock(FanfareMock):
    """The in-process handle: its clients call the app directly (no port)."""


class LiveMock(FanfareMock):
    """The live server's handle: `base_url` is a real http://127.0.0.1:PORT, and its clients use it."""

    def client_for(self, key: str | None) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(base_url=self.base_url, headers=headers)
        self._clients.append(client)
        return client


@pytest.fixture
def fanfare_mock(request: pytest.FixtureRequest) -> Iterator[InProcessMock]:
    """A fresh in-process mock for this test (no port); `.client` speaks to it with a secret key."""
    from mock_server.app import create_app

    options = _options(request)
    app = create_app(seed=options.seed, consumers=options.consumers, keys=options.keys, log_requests=False)
    mock = InProcessMock(app, options.keys[0] if options.keys else DEFAULT_KEY, "http://fanfare.test")
    try:
        yield mock
    finally:
        mock.close()


class _LiveServer:
    def __init__(self, app: Any) -> None:
        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
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


@pytest.fixture(scope="session")
def fanfare_live_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """One real uvicorn server for the session (the `fanfare_live` fixture resets it per test)."""
    from mock_server.app import create_app

    config = request.config
    app = create_app(
        seed=int(config.getini("fanfare_seed")),
        consumers=int(config.getini("fanfare_consumers")),
        log_requests=False,
    )
    server = _LiveServer(app)
    server.start()
    try:
        yield app, f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


@pytest.fixture
def fanfare_live(fanfare_live_server: Any) -> Iterator[LiveMock]:
    """The session's live mock, reset to its freshly seeded world for this test (no fault rules, an
    empty journal)."""
    app, base_url = fanfare_live_server
    app.state.reset(None)
    app.state.journal.clear()
    mock = LiveMock(app, DEFAULT_KEY, base_url)
    try:
        yield mock
    finally:
        mock.close()

"""`create_app`: the one way to build the mock (CLI server, pytest fixtures, contract self-tests).

It loads both documents, binds every operationId to its handler and hands the state object to the shell,
with the hooks in order: the journal's recorder outermost (it sees everything, times everything and
prints the access log), then fault and latency rules and `Prefer` around each validated call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import fanfare_spec
from mock_server.control import (
    DEFAULT_CAPACITY,
    ControlState,
    DeclaredResponses,
    JournalEntry,
    journal_middleware,
    journal_recorder,
    override_hook,
)
from mock_server.control.access import (
    CONTROL_PREFIX,
    ControlPolicy,
    Forbidden,
    control_access,
    forbidden_rule,
    levels_of,
)
from mock_server.domain.kernel import DEFAULT_START, Unauthorized
from mock_server.domain.world import DEFAULT_MAX_ORGANIZATIONS
from mock_server.handlers.routes import handlers
from mock_server.handlers.tenancy import Served
from mock_server.scenarios.source import ScenarioSource
from mock_server.state import MockState
from mock_server.web.assembly import build_app
from mock_server.web.bodies import DEFAULT_STATE_BODY, BodyLimits
from mock_server.web.calls import Around
from mock_server.web.error_table import ErrorRule
from mock_server.web.middleware import Middleware
from mock_server.web.security import BearerAuth, redact
from mock_server.web.shell import Shell

__all__ = ["create_app"]

#: What a 401 tells the caller is accepted, when the mock takes any key (`--keys` narrows it).
ANY_SECRET_KEY = (
    "Send Authorization: Bearer sk_test_... (or sk_live_...): any secret key is accepted, "
    "and each distinct key is its own organization"
)

if TYPE_CHECKING:

    def _offers_what_handlers_read(state: MockState) -> tuple[ControlState, Served]:
        """Never run: mypy holds the state to the protocols the handlers read `call.state` through."""
        return state, state


def create_app(
    *,
    seed: int = 0,
    consumers: int = 1000,
    keys: Sequence[str] | None = None,
    cors_origins: Sequence[str] | str | None = None,
    strict_responses: bool = True,
    log_requests: bool = False,
    progress: Callable[[str], None] | None = None,
    journal_size: int = DEFAULT_CAPACITY,
    store: str | None = None,
    control_token: str | None = None,
    control_cors_origins: Sequence[str] | str = (),
    public_url: str | None = None,
    clock_start: datetime = DEFAULT_START,
    clock_running: bool = False,
    scenarios: Sequence[ScenarioSource] = (),
    max_state_body: int = DEFAULT_STATE_BODY,
    max_organizations: int = DEFAULT_MAX_ORGANIZATIONS,
) -> Shell:
    """Build the mock's ASGI app over a freshly seeded world.

    `keys` pins the accepted secret keys (their organizations are seeded now, with `progress`);
    otherwise every distinct secret key is its own organization, seeded on first use.
    `strict_responses` validates every reply against the spec (a mismatch is a loud error); forced
    answers (fault rules, `Prefer`) are checked the same way.
    `journal_size` is how many requests the journal keeps (0: none); `log_requests` prints one line per
    request to stderr, made from its journal entry.
    `control_token` guards `/_mock` (see `mock_server.control.access`; None leaves it open, for a loopback
    bind); `control_cors_origins` are the browser origins besides its own that may call it (none by
    default: `/_mock` answers no CORS). `public_url` is the mock's address as its clients reach it (the
    CLI passes `--public-url` or the bound address): upload URLs are built from it, never from a request's
    headers, and without a token `/_mock` then answers only requests naming a loopback host or it.
    `clock_start`/`clock_running` start the virtual clock (frozen at 2025-01-01 by default);
    `scenarios` (`mock_server.scenarios.read`) are loaded at start, in order (none by default); on a
    `store`, they found a new world once, as commands of its log (a store that holds a world ignores them).
    `max_state_body` bounds a `PUT /_mock/state` body (413 beyond), apart from the 1 MiB of other JSON
    bodies: any export the mock makes can be restored (it is parsed off the event loop).
    `max_organizations` caps the organizations unpinned keys make (a new key past it is a 401 that says
    how to make room); pinned `keys` are all served.
    """
    documents = [fanfare_spec.load("fanfare"), fanfare_spec.load("mock")]
    declared = DeclaredResponses(documents)
    state = MockState(
        seed=seed,
        consumers=consumers,
        keys=keys,
        progress=progress,
        journal_size=journal_size,
        declared=declared,
        clock_start=clock_start,
        clock_running=clock_running,
        scenarios=scenarios if store is None else (),  # a store's scenarios go through its log
        warm=store is None or not scenarios,  # ... and furnish the pinned organizations, built on first use
        max_organizations=max_organizations,
    )
    log = _access_log if log_requests else None
    arounds: list[Around] = []
    middleware: list[Middleware] = []
    if state.journal.enabled or log is not None:
        arounds.append(journal_recorder(state.journal, log, _reads_of(documents[1])))
        middleware.append(journal_middleware(state.journal, lambda: state.clock.now(), log))
    state.control_token = control_token
    if public_url is not None:
        state.public_url = public_url.rstrip("/")
    policy = ControlPolicy(control_token, keys, control_cors_origins, public_url)
    arounds.append(control_access(policy, levels_of(documents[1])))
    hint = ANY_SECRET_KEY if keys is None else accepted_keys(keys)
    table, call_arounds = handlers(), [override_hook(declared)]
    replica, errors = None, None
    if store is not None:
        from mock_server.store.wiring import ERRORS, replicate

        replica, table = replicate(store, state, table, call_arounds)
        call_arounds, errors = [], ERRORS
    app = build_app(
        documents=documents,
        handlers=table,
        state=state,
        strict_responses=strict_responses,
        raise_server_errors=False,
        cors_origins="local" if cors_origins is None else cors_origins,
        cors_by_prefix={CONTROL_PREFIX: control_cors_origins},
        arounds=arounds,
        call_arounds=call_arounds,
        middleware=middleware,
        errors={Forbidden: forbidden_rule, Unauthorized: _unauthorized_rule(hint), **(errors or {})},
        auth=BearerAuth(hint=hint),
        # a snapshot is as wide and deep as the world it holds (consumers' metadata nests inside it)
        body_limits={"putMockState": BodyLimits(max_state_body, 96, max_state_body)},
    )
    if replica is not None:
        from mock_server.store.wiring import recover

        replica.bind(app.operations)
        state.replica = replica
        founded, replayed = recover(replica, scenarios)
        if progress is not None:
            if founded:
                progress(f"  a new world in {replica.log.where}, founded with {_named(scenarios)}")
            elif scenarios:
                progress(f"  {replica.log.where} holds a world already: {_named(scenarios)} not loaded again")
            progress(f"  world recovered from {replica.log.where} ({replayed:,} commands replayed)")
    return app


def _reads_of(document: dict[str, Any]) -> frozenset[str]:
    """The control plane's and the pages' reads (the dashboard polls them, health checkers poll health):
    logged, not journaled, so the journal keeps the traffic worth reading. Its writes are journaled."""
    return frozenset(
        op["operationId"]
        for item in document["paths"].values()
        for method, op in item.items()
        if method == "get"
    )


def accepted_keys(keys: Sequence[str]) -> str:
    """A 401's hint on a mock started with `--keys`: which keys it takes, masked."""
    shown = ", ".join(sorted({redact(key) or "" for key in keys}))
    return f"This mock accepts only the secret keys it was started with (--keys): {shown}"


def _unauthorized_rule(hint: str) -> ErrorRule:
    """A key outside the pinned set: the 401 says which keys are accepted (a key past the organization
    cap: how to make room)."""
    return ErrorRule(
        401,
        lambda error, envelope, body: envelope.error(
            getattr(error, "message", None) or str(error), message=getattr(error, "hint", None) or hint
        ),
    )


def _named(scenarios: Sequence[ScenarioSource]) -> str:
    return ", ".join(s.name for s in scenarios)


def _access_log(entry: JournalEntry) -> None:
    sys.stderr.write(entry.log_line() + "\n")

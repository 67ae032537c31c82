"""`create_app`: the one way to build the mock (CLI server, pytest fixtures, contract self-tests).

It loads both documents, binds every operationId to its handler and hands the state object to the shell.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

import fanfare_spec
from mock_server.handlers.routes import handlers
from mock_server.state import MockState
from mock_server.web.calls import Around, Exchange, Next, Reply
from mock_server.web.shell import Shell, build_app

__all__ = ["create_app"]


def create_app(
    *,
    seed: int = 0,
    consumers: int = 1000,
    keys: Sequence[str] | None = None,
    cors_origins: Sequence[str] | str | None = None,
    strict_responses: bool = True,
    log_requests: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Shell:
    """Build the mock's ASGI app over a freshly seeded world.

    `keys` pins the accepted secret keys (their organizations are seeded now, with `progress`);
    otherwise every distinct secret key is its own organization, seeded on first use.
    `strict_responses` validates every reply against the spec (a mismatch is a loud error).
    """
    state = MockState(seed=seed, consumers=consumers, keys=keys, progress=progress)
    arounds: list[Around] = [_access_log] if log_requests else []
    return build_app(
        documents=[fanfare_spec.load("fanfare"), fanfare_spec.load("mock")],
        handlers=handlers(),
        state=state,
        strict_responses=strict_responses,
        raise_server_errors=False,
        cors_origins="local" if cors_origins is None else cors_origins,
        arounds=arounds,
    )


async def _access_log(exchange: Exchange, call_next: Next) -> Reply:
    reply = await call_next(exchange)
    millis = (time.perf_counter() - exchange.started) * 1000
    operation = exchange.operation.operation_id if exchange.operation else "-"
    sys.stderr.write(
        f"{exchange.method} {exchange.path} {reply.status} {millis:.1f}ms {operation} {exchange.request_id}\n"
    )
    return reply

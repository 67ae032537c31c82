"""The extension points, composed once at start: ASGI middleware around the whole app, `Around` hooks
around each routed exchange, `CallAround` hooks around each handler.

Order is the order of the lists: the first entry is the outermost. The lead's features slot in as:
`arounds=[journal, faults]` (journal outermost, so it records injected faults and latency too) and
`call_arounds=[prefer]` (Prism's `Prefer: code=` / `example=`, after auth and validation passed).
An empty list costs nothing: the inner callable is used as is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from .calls import Around, Call, CallAround, Exchange, Handler, Next, Reply

__all__ = ["ASGIApp", "Middleware", "apply_middleware", "compose_arounds", "compose_call_arounds"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
#: A pure ASGI middleware: takes the app it wraps, returns the wrapping app.
Middleware = Callable[[ASGIApp], ASGIApp]


def compose_arounds(arounds: Sequence[Around], inner: Next) -> Next:
    chain = inner
    for around in reversed(arounds):
        chain = _exchange_step(around, chain)
    return chain


def _exchange_step(around: Around, following: Next) -> Next:
    async def step(exchange: Exchange) -> Reply:
        return await around(exchange, following)

    return step


def compose_call_arounds(call_arounds: Sequence[CallAround], handler: Handler) -> Handler:
    chain = handler
    for around in reversed(call_arounds):
        chain = _call_step(around, chain)
    return chain


def _call_step(around: CallAround, following: Handler) -> Handler:
    async def step(call: Call) -> Reply:
        return await around(call, following)

    return step


def apply_middleware(app: ASGIApp, middleware: Sequence[Middleware]) -> ASGIApp:
    for wrap in reversed(middleware):
        app = wrap(app)
    return app

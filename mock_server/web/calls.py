"""What a handler receives (`Call`) and returns (`Reply`), and the two hook signatures around it.

* `Handler`: `async (Call) -> Reply`, one per operationId.
* `CallAround`: `async (Call, next) -> Reply`, wraps the handler of a validated, authenticated call
  (Prism-style `Prefer: code=...`, for instance). Its replies are checked in strict mode like a handler's.
* `Around`: `async (Exchange, next) -> Reply`, wraps everything after routing: auth, validation, the
  handler, error mapping and the response check (a request journal, fault and latency rules). It also
  sees unrouted requests (404, 405) with `exchange.operation is None`; OPTIONS and CORS preflights are
  answered before the hooks. Its own replies are not checked against the spec (an injected fault is
  off-contract on purpose).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers

if TYPE_CHECKING:
    from .operations import Operation

__all__ = ["Around", "Call", "CallAround", "Exchange", "Handler", "Next", "Reply"]

Receive = Callable[[], Awaitable[Mapping[str, Any]]]


class ClientDisconnected(Exception):
    """The client went away while its body was being read; nothing is sent."""


@dataclass(slots=True)
class Reply:
    """A handler's answer. `body` is JSON-serialized (orjson) for JSON media types; for others it is
    sent as is (`bytes`, or `str` encoded as UTF-8). `headers` are added to the response (except the
    framing ones: Content-Type comes from `media_type`, Content-Length from the body). A 204 or 304 is
    sent without a body."""

    status: int
    body: Any = None
    headers: Mapping[str, str] | None = None
    media_type: str = "application/json"
    #: The serialized body, set by the shell once the reply passed its checks. A hook that wants a
    #: different answer returns a new `Reply` rather than editing this one.
    encoded: bytes | None = field(default=None, repr=False)


@dataclass(slots=True)
class Exchange:
    """One request as the `Around` hooks see it. The shell fills `secret_key` once auth passed and
    `outcome` as it decides: `ok`, `unauthenticated`, `invalid`, `unsupported_media_type`,
    `too_large`, `not_found` (unknown path), `method_not_allowed`, `domain_error` (a mapped domain
    error), `server_error`."""

    method: str
    path: str
    query_string: bytes
    headers: Headers
    request_id: str
    state: Any
    operation: Operation | None
    started: float
    secret_key: str | None = None
    outcome: str = "pending"
    #: Free slot for hooks (e.g. the journal keeps its entry here); the shell never reads it.
    notes: dict[str, Any] | None = None
    # The shell's own: routing result, raw header map and the ASGI receive channel.
    _route: Any = field(default=None, repr=False)
    _raw_headers: dict[bytes, bytes] = field(default_factory=dict, repr=False)
    _receive: Receive | None = field(default=None, repr=False)


@dataclass(slots=True)
class Call:
    """A validated request, as its handler receives it."""

    operation: Operation
    path_params: dict[str, Any]
    query: dict[str, Any]
    body: Any
    headers: Headers
    secret_key: str | None
    state: Any
    request_id: str
    exchange: Exchange | None = None
    raw_body: bytes | None = None
    _receive: Receive | None = field(default=None, repr=False)
    #: True when a store's replica applies this call from its log: hooks must not wait (no latency).
    replayed: bool = False

    async def receive_chunks(self) -> AsyncIterator[bytes]:
        """The raw body as it arrives: streamed for non-JSON operations (the CSV upload), or the already
        read JSON bytes in one chunk. Can be consumed once."""
        if self.raw_body is not None:
            body, self.raw_body = self.raw_body, b""
            if body:
                yield body
            return
        receive, self._receive = self._receive, None
        if receive is None:
            return
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected()
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


Handler = Callable[[Call], Awaitable[Reply]]
Next = Callable[[Exchange], Awaitable[Reply]]
Around = Callable[[Exchange, Next], Awaitable[Reply]]
CallAround = Callable[[Call, Handler], Awaitable[Reply]]

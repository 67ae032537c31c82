"""The ASGI app: one request from bytes to bytes, through routing, CORS, the hooks, auth, parameters,
body, the handler, the error table and the response contract.

Per request, in order: request id and CORS decision; routing (404 unknown path, 405 with `Allow`,
OPTIONS/preflight answered here); the `Around` hooks; auth (401) before any validation; parameters and
body (400/413/415); the `CallAround` hooks and the handler; domain errors through the error table;
serialization (orjson) and, in strict mode, the response contract. `assembly.build_app` compiles it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
from starlette.datastructures import Headers

from .bodies import MISSING_BODY, BodyLimits, media_type_of, parse_json, read_body
from .calls import Around, Call, ClientDisconnected, Exchange, Reply
from .cors import CorsPolicy
from .envelopes import Envelope
from .error_table import ErrorTable
from .families import Families
from .middleware import ASGIApp, Middleware, apply_middleware, compose_arounds
from .operations import CompiledOperation, Operation
from .rejections import Rejection
from .replies import encode, framed, rendered
from .request_ids import RequestIds
from .responses import ResponseContractError
from .routing import PathEntry, Router
from .security import AuthFailure, BearerAuth

__all__ = ["Shell"]

logger = logging.getLogger("mock_server.web")

Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]

_JSON = b"application/json"
_EMPTY_BODY = {"type": "http.response.body", "body": b""}


class Shell:
    """The ASGI callable `build_app` returns. `operations` lists what it serves, by operationId."""

    def __init__(
        self,
        *,
        router: Router[CompiledOperation],
        families: Families,
        state: Any,
        strict_responses: bool,
        raise_server_errors: bool,
        cors: CorsPolicy,
        cors_by_prefix: Sequence[tuple[bytes, CorsPolicy]],
        limits: BodyLimits,
        auth: BearerAuth,
        errors: ErrorTable,
        arounds: Sequence[Around],
        middleware: Sequence[Middleware],
        operations: dict[str, Operation],
    ) -> None:
        self.operations = operations
        self.state = state
        self.strict_responses = strict_responses
        self._router = router
        self._families = families
        self._raise = raise_server_errors
        self._cors = cors
        self._cors_by_prefix = tuple(cors_by_prefix)
        self._limits = limits
        self._auth = auth
        self._errors = errors
        self._ids = RequestIds()
        self._entry = compose_arounds(arounds, self._dispatch)
        self._app: ASGIApp = apply_middleware(self._handle, middleware)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._app(scope, receive, send)

    # -- ASGI ---------------------------------------------------------------------------------------

    async def _handle(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "lifespan":
                await _lifespan(receive, send)
            return
        raw_headers = scope["headers"]
        headers: dict[bytes, bytes] = dict(raw_headers)  # ASGI header names are lower case
        request_id = self._ids.take(headers.get(b"x-request-id"))
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        root_path = scope.get("root_path")
        if root_path and raw_path.startswith(root_path.encode("utf-8")):
            raw_path = raw_path[len(root_path) :] or b"/"
        extra: list[tuple[bytes, bytes]] = []
        origin = headers.get(b"origin")
        cors = self._cors_for(raw_path)
        if origin is not None and cors.enabled and cors.allowed(origin):
            extra = cors.simple_headers(origin)
        method: str = scope["method"]
        found = self._router.match(raw_path)
        compiled: CompiledOperation | None = None
        values: dict[str, str] = {}
        head = False
        entry: PathEntry[CompiledOperation] | None = None
        if found is not None:
            entry, values = found
            compiled = entry.methods.get(method)
            if compiled is None:
                if method == "OPTIONS":
                    await self._options(entry, headers, origin, request_id, send, cors)
                    return
                if method == "HEAD":
                    compiled = entry.methods.get("GET")
                    head = compiled is not None
        path = raw_path.decode("utf-8", "replace")
        exchange = Exchange(
            method,
            path,
            scope.get("query_string", b""),
            Headers(raw=raw_headers),
            request_id,
            self.state,
            compiled.operation if compiled is not None else None,
            time.perf_counter(),
            _route=(compiled, entry, values),
            _raw_headers=headers,
            _receive=receive,
        )
        try:
            reply = await self._entry(exchange)
        except ClientDisconnected:
            return
        await self._send(send, reply, request_id, extra, head)

    async def _options(
        self,
        entry: PathEntry[CompiledOperation],
        headers: dict[bytes, bytes],
        origin: bytes | None,
        request_id: str,
        send: Send,
        cors: CorsPolicy,
    ) -> None:
        """Plain OPTIONS: 204 with `Allow`. A CORS preflight also gets the CORS headers, or a 403
        naming the refused origin."""
        allow = entry.allow.encode()
        response_headers = [(b"allow", allow), (b"x-request-id", request_id.encode())]
        status = 204
        body = b""
        if origin is not None and b"access-control-request-method" in headers and cors.enabled:
            if cors.allowed(origin):
                response_headers.extend(cors.preflight_headers(origin, allow))
            else:
                envelope = self._families.of(entry.template).envelope
                body = orjson.dumps(envelope.error(f"CORS origin {origin.decode('latin-1')} is not allowed"))
                status = 403
                response_headers = [
                    (b"content-type", _JSON),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                ]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})

    def _cors_for(self, raw_path: bytes) -> CorsPolicy:
        for prefix, policy in self._cors_by_prefix:
            if raw_path == prefix or raw_path.startswith(prefix + b"/"):
                return policy
        return self._cors

    async def _send(
        self,
        send: Send,
        reply: Reply,
        request_id: str,
        extra: list[tuple[bytes, bytes]],
        head: bool,
    ) -> None:
        payload = reply.encoded if reply.encoded is not None else encode(reply)
        headers, payload = framed(reply, payload, request_id, extra)
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if head else payload} if payload else _EMPTY_BODY
        )

    # -- the routed pipeline (inside the Around hooks) ----------------------------------------------

    async def _dispatch(self, exchange: Exchange) -> Reply:
        compiled, entry, values = exchange._route
        if compiled is None:
            return self._unrouted(exchange, entry)
        envelope = compiled.envelope
        call: Call | None = None
        try:
            call = await self._prepare(compiled, exchange, values)
            reply = await compiled.chain(call)
            exchange.outcome = "ok"
        except Rejection as rejection:
            exchange.outcome = rejection.outcome
            reply = rendered(rejection, envelope)
        except ClientDisconnected:
            raise
        except Exception as error:
            rule = self._errors.lookup(error)
            if rule is None:
                return self._server_error(exchange, envelope, error)
            exchange.outcome = "domain_error"
            reply = Reply(rule.status, rule.render(error, envelope, call.body if call is not None else None))
        return self._finish(compiled, reply, exchange)

    async def _prepare(self, compiled: CompiledOperation, exchange: Exchange, values: dict[str, str]) -> Call:
        headers: dict[bytes, bytes] = exchange._raw_headers
        secret_key: str | None = None
        auth = compiled.auth
        if auth is not None:
            authorization = headers.get(b"authorization")
            if auth.required or authorization is not None:
                try:
                    secret_key = self._auth.authenticate(authorization)
                except AuthFailure as failure:
                    if auth.required:
                        raise Rejection.unauthenticated(failure.message, failure.hint) from None
            exchange.secret_key = secret_key
        parameters = compiled.parameters
        if parameters is not None:
            parsed = parameters.parse(values, exchange.query_string, headers)
            if parsed.problems:
                rejection = Rejection.invalid(parsed.problems)
                rejection.roots = parsed.roots()
                raise rejection
            path_params: dict[str, Any] = parsed.path
            query = parsed.query
        else:
            path_params, query = dict(values), {}
        body: Any = None
        raw: bytes | None = None
        receive = None
        spec = compiled.body
        if spec is not None:
            content_type = headers.get(b"content-type")
            media_type = media_type_of(content_type) if content_type else ""
            entry = spec.select(media_type) if media_type else None
            if media_type and entry is None:
                raise Rejection.unsupported_media_type(media_type, spec.accepted)
            if entry is not None and not entry.is_json:
                receive = exchange._receive  # streamed by the handler
            else:
                assert exchange._receive is not None
                limits = spec.limits or self._limits
                raw = await read_body(exchange._receive, limits.max_bytes, headers.get(b"content-length"))
                if raw:
                    if entry is None:
                        raise Rejection.unsupported_media_type("", spec.accepted)
                    if len(raw) > self._limits.max_bytes:  # (an operation's own, larger limit)
                        body = await asyncio.to_thread(parse_json, raw, limits)
                    else:
                        body = parse_json(raw, limits)
                    if entry.validator is not None:
                        problems = entry.validator.problems(body)
                        if problems:
                            rejection = Rejection.invalid(problems)
                            rejection.roots = {"body": body}
                            raise rejection
                elif spec.required:
                    raise Rejection.invalid([MISSING_BODY])
        return Call(
            compiled.operation,
            path_params,
            query,
            body,
            exchange.headers,
            secret_key,
            exchange.state,
            exchange.request_id,
            exchange,
            raw,
            receive,
        )

    def _finish(self, compiled: CompiledOperation, reply: Reply, exchange: Exchange) -> Reply:
        # a handler may serialize a large body itself (off the event loop)
        payload = reply.encoded if reply.encoded is not None else encode(reply)
        reply.encoded = payload
        if self.strict_responses:
            try:
                compiled.responses.check(reply.status, reply.media_type, payload, reply.body)
            except ResponseContractError as error:
                return self._server_error(exchange, compiled.envelope, error)
        return reply

    def _server_error(self, exchange: Exchange, envelope: Envelope, error: Exception) -> Reply:
        exchange.outcome = "server_error"
        if self._raise:
            raise error
        operation = exchange.operation.operation_id if exchange.operation else exchange.path
        logger.error(
            "%s %s failed (request %s)", exchange.method, operation, exchange.request_id, exc_info=error
        )
        return Reply(500, envelope.error("Internal server error", requestId=exchange.request_id))

    def _unrouted(self, exchange: Exchange, entry: PathEntry[CompiledOperation] | None) -> Reply:
        envelope = self._families.of(exchange.path).envelope
        if entry is None:
            exchange.outcome = "not_found"
            closest = self._router.closest(exchange.path.encode())
            if closest is None:
                return Reply(404, envelope.error("Not found"))
            hint = f"No route {exchange.method} {exchange.path}; the closest known route is {closest}"
            return Reply(404, envelope.error("Not found", message=hint))
        exchange.outcome = "method_not_allowed"
        return Reply(
            405, envelope.error(f"Method {exchange.method} not allowed"), headers={"Allow": entry.allow}
        )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

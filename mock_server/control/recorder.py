"""Recording each request into the journal: the outermost `Around` (it sees routed and unrouted requests,
auth and validation failures, injected faults and latency) and an ASGI middleware that tees the request
body as the shell reads it and records what never reaches the hooks (CORS preflights, plain OPTIONS).

Secrets are scrubbed here, before anything is stored. The entry is also what the access log prints, so
one place knows a request's outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import orjson

from mock_server.control.entries import JournalEntry, Record
from mock_server.control.journal import Journal
from mock_server.control.redaction import key_tag, may_hold_secret, scrub_bytes, scrub_secrets
from mock_server.web.calls import Around, ClientDisconnected, Exchange, Next, Reply
from mock_server.web.families import DEFAULT_FAMILIES, Families
from mock_server.web.middleware import ASGIApp, Middleware
from mock_server.web.security import redact

__all__ = ["Log", "journal_middleware", "journal_recorder"]

Log = Callable[[JournalEntry], None]

#: Request headers worth keeping (lower case); Authorization is kept redacted.
_KEPT_HEADERS = frozenset(
    {
        b"accept",
        b"authorization",
        b"content-length",
        b"content-type",
        b"origin",
        b"prefer",
        b"user-agent",
        b"x-request-id",
    }
)
_CSV = "text/csv"
_FAMILIES = Families(DEFAULT_FAMILIES)
#: Reads of the journal itself: logged, not journaled (a poller would otherwise fill it with its polls).
SELF_READS = frozenset({"getMockJournal"})


class BodyTap:
    """The first `limit` bytes of a request body as the app reads it, its size and its line count."""

    __slots__ = ("ends_line", "head", "limit", "lines", "recorded", "size")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = b""
        self.size = 0
        self.lines = 0
        self.ends_line = False
        self.recorded = False

    def feed(self, chunk: bytes) -> None:
        if len(self.head) < self.limit:
            self.head += chunk[: self.limit - len(self.head)]
        self.size += len(chunk)
        self.lines += chunk.count(b"\n")
        self.ends_line = chunk.endswith(b"\n")


_TAP: ContextVar[BodyTap | None] = ContextVar("fanfare_journal_tap", default=None)


def journal_recorder(
    journal: Journal, log: Log | None = None, unrecorded: frozenset[str] = SELF_READS
) -> Around:
    """The journal's `Around`: put it first in `arounds` so it also times what the others add. Calls of
    the `unrecorded` operations are logged but not journaled."""
    limit = journal.body_limit

    async def record(exchange: Exchange, call_next: Next) -> Reply:
        real_at = time.time()
        at = exchange.state.clock.now()
        try:
            reply = await call_next(exchange)
        except ClientDisconnected:
            _keep(journal, log, _record(exchange, at, real_at, None, 499, "disconnected", limit, _tapped()))
            raise
        except BaseException:
            _keep(journal, log, _record(exchange, at, real_at, None, 500, "server_error", limit, _tapped()))
            raise
        entry = _record(exchange, at, real_at, reply, reply.status, exchange.outcome, limit, _tapped())
        operation = exchange.operation
        if operation is not None and operation.operation_id in unrecorded:
            if log is not None:
                log(JournalEntry(0, entry))
        else:
            _keep(journal, log, entry)
        return reply

    return record


def _tapped() -> BodyTap | None:
    """This request's body tap, marked as recorded (the middleware records what was not)."""
    tap = _TAP.get()
    if tap is not None:
        tap.recorded = True
    return tap


def _keep(journal: Journal, log: Log | None, record: Record) -> None:
    seq = journal.record(record)
    if log is not None:
        log(JournalEntry(seq, record))


def _record(
    exchange: Exchange,
    at: Any,
    real_at: float,
    reply: Reply | None,
    status: int,
    outcome: str,
    limit: int,
    tap: BodyTap | None,
) -> Record:
    # On every request: references and cheap scalars only; decoding waits until someone reads.
    operation = exchange.operation
    key = exchange.secret_key
    tenant = (_TENANTS.get(key_tag(key)) or _tenant(key)) if key is not None else None
    headers = _request_headers(exchange.headers.raw)
    notes = exchange.notes
    path = exchange.path
    query = exchange.query_string
    response = None
    if reply is not None:
        payload = reply.encoded if reply.encoded is not None else _encode(reply.body, reply.media_type)
        if payload:
            head = payload[:limit]
            response = (reply.media_type, len(payload), scrub_bytes(head) if may_hold_secret(head) else head)
    return (  # the layout of `entries.Record`
        exchange.request_id,
        at,
        real_at,
        exchange.method,
        scrub_secrets(path),
        scrub_bytes(query) if may_hold_secret(query) else query,
        operation.operation_id if operation is not None else None,
        operation.family if operation is not None else _FAMILIES.of(path).name,
        tenant,
        status,
        outcome,
        (time.perf_counter() - exchange.started) * 1000,
        notes.get("forced") if notes else None,
        notes.get("delay_ms", 0) if notes else 0,
        headers,
        _request_body(tap, headers) if tap is not None and tap.size else None,
        tuple(reply.headers.items()) if reply is not None and reply.headers else None,
        response,
    )


def _request_headers(raw: list[tuple[bytes, bytes]]) -> tuple[tuple[bytes, bytes], ...]:
    """The kept headers, still bytes; Authorization (and any other value holding a key) redacted."""
    kept: list[tuple[bytes, bytes]] = []
    for pair in raw:
        name = pair[0]
        if name in _KEPT_HEADERS:
            value = pair[1]
            if name == b"authorization":
                pair = (name, _AUTHORIZATIONS.get(hash(value)) or _redacted_authorization(value))
            elif may_hold_secret(value):
                pair = (name, scrub_bytes(value))
            kept.append(pair)
    return tuple(kept)


# A client sends the same few keys over and over: remember their redacted forms (bounded), by hash so
# that no key is kept (a collision would only show another key's last four characters). Few: each entry
# is made while a stranger's organization is being built, and outlives its reset holding the allocator's
# arena it shares with that organization (after 10,000 organizations and a reset: 1,024 entries left RSS
# 53 MiB above a fresh start's, 64 leave 20 MiB; without the journal and its recorder, 12 MiB).
_AUTHORIZATIONS: dict[int, bytes] = {}
_TENANTS: dict[int, tuple[str | None, int]] = {}
_REMEMBERED = 64


def _redacted_authorization(value: bytes) -> bytes:
    redacted = _AUTHORIZATIONS.get(hash(value))
    if redacted is None:
        scheme, _, token = value.strip().partition(b" ")
        token = token.strip()
        shown = redact(token.decode("latin-1")) if token else None
        redacted = scheme + b" " + shown.encode("utf-8") if shown else scheme
        if len(_AUTHORIZATIONS) >= _REMEMBERED:
            _AUTHORIZATIONS.clear()
        _AUTHORIZATIONS[hash(value)] = redacted
    return redacted


def _tenant(key: str) -> tuple[str | None, int]:
    """The redacted key and the tag the journal matches tenants by."""
    tag = key_tag(key)
    found = _TENANTS.get(tag)
    if found is None:
        found = (redact(key), tag)
        if len(_TENANTS) >= _REMEMBERED:
            _TENANTS.clear()
        _TENANTS[tag] = found
    return found


def _request_body(tap: BodyTap, headers: tuple[tuple[bytes, bytes], ...]) -> tuple[Any, ...]:
    content_type = next((value for name, value in headers if name == b"content-type"), None)
    media_type = content_type.split(b";", 1)[0].strip().lower().decode("latin-1") if content_type else None
    truncated = tap.size > len(tap.head)
    if media_type == _CSV:
        lines = tap.lines + (0 if tap.ends_line else 1)
        header = tap.head.split(b"\n", 1)[0].rstrip(b"\r")[:200].decode("utf-8", "replace")
        summary = f"CSV upload: {tap.size:,} bytes, {lines:,} lines; header: {header}"
        return (media_type, tap.size, None, truncated, scrub_secrets(summary))
    return (media_type, tap.size, scrub_bytes(tap.head), truncated, None)


def _encode(body: Any, media_type: str) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str) and not media_type.endswith("json"):
        return body.encode("utf-8")
    return orjson.dumps(body)


def journal_middleware(journal: Journal, clock: Callable[[], Any], log: Log | None = None) -> Middleware:
    """Tee each request body into a `BodyTap` for the `Around`, and record the requests the shell answers
    before its hooks (OPTIONS: CORS preflights and `Allow`). `clock` reads the virtual now."""
    limit = journal.body_limit

    def wrap(app: ASGIApp) -> ASGIApp:
        async def tapped(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            tap = BodyTap(limit)

            async def tee() -> Any:
                message = await receive()
                chunk = message.get("body")
                if chunk:
                    tap.feed(chunk)
                return message

            token = _TAP.set(tap)
            try:
                if scope["method"] != "OPTIONS":
                    await app(scope, tee, send)
                    return
                await _options(app, scope, tee, send, tap, journal, clock, log)
            finally:
                _TAP.reset(token)

        return tapped

    return wrap


async def _options(
    app: ASGIApp,
    scope: Any,
    receive: Any,
    send: Any,
    tap: BodyTap,
    journal: Journal,
    clock: Callable[[], Any],
    log: Log | None,
) -> None:
    started = time.perf_counter()
    real_at = time.time()
    at = clock()
    seen: dict[str, Any] = {}

    async def watch(message: Any) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
            seen["headers"] = message.get("headers") or []
        await send(message)

    await app(scope, receive, watch)
    if tap.recorded or "status" not in seen:
        return
    response_headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in seen["headers"]}
    path = scope.get("raw_path") or scope["path"].encode("utf-8")
    path_text = path.decode("utf-8", "replace")
    kept = tuple(
        (name, value)
        for name, value in response_headers.items()
        if name.startswith(("allow", "access-control"))
    )
    query = scope.get("query_string", b"")
    record = (  # the layout of `entries.Record`
        response_headers.get("x-request-id", ""),
        at,
        real_at,
        "OPTIONS",
        scrub_secrets(path_text),
        scrub_bytes(query),
        None,
        _FAMILIES.of(path_text).name,
        None,
        seen["status"],
        "preflight",
        (time.perf_counter() - started) * 1000,
        None,
        0,
        _request_headers(scope["headers"]),
        None,
        kept or None,
        None,
    )
    tap.recorded = True
    _keep(journal, log, record)

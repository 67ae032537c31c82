"""Connection limits under the app: a deadline for a request's headers and one for its body, a cap on the
bytes of a request head and on open connections, and malformed framing answered in JSON.

The one module that knows uvicorn's HTTP protocol class (httptools). What it refuses never reaches the
app, so it answers `{"error": ...}` itself: the envelope both families use for a non-validation error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["ConnectionLimits", "guarded_protocol"]

_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout: float = 10.0  # seconds from a connection (or the previous response) to a full head
    body_timeout: float = 30.0  # seconds from the head to the last byte of the body
    max_head_bytes: int = 64 * 1024
    max_connections: int = 500


def guarded_protocol(limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with `limits` enforced (give it as `uvicorn.Config(http=...)`)."""

    class Guarded(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None
        _head_bytes = 0
        _in_head = True
        _refused = False

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                self._refuse(503, f"Too many connections: the limit is {limits.max_connections}")
                return
            self._await_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # what a refused client still sends is read and dropped (see _refuse)
            if self._in_head:
                self._head_bytes += len(data)
                if self._head_bytes > limits.max_head_bytes + 65536:  # the body may share the last read
                    self._refuse(
                        431, f"Request headers too large: the limit is {limits.max_head_bytes} bytes"
                    )
                    return
            try:
                super().data_received(data)
            except _Refused:
                return

        def on_header(self, name: bytes, value: bytes) -> None:
            super().on_header(name, value)
            if sum(len(n) + len(v) for n, v in self.headers) > limits.max_head_bytes:
                self._refuse(431, f"Request headers too large: the limit is {limits.max_head_bytes} bytes")
                raise _Refused

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._disarm()
            self._deadline = self.loop.call_later(
                limits.body_timeout, self._timed_out, "Request timeout: the request body took too long"
            )
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._await_head()

        def send_400_response(self, msg: str) -> None:
            if not self.transport.is_closing():
                self._refuse(400, "Invalid HTTP request: malformed framing")

        def _await_head(self) -> None:
            self._disarm()
            self._in_head, self._head_bytes = True, 0
            self._deadline = self.loop.call_later(
                limits.header_timeout, self._timed_out, "Request timeout: the request headers took too long"
            )

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _timed_out(self, message: str) -> None:
            self._deadline = None
            cycle = self.cycle
            if self.transport.is_closing():
                return
            if self._in_head and not self._head_bytes:
                self.transport.close()  # an idle connection (a preconnect, a kept-alive one): no answer due
                return
            if cycle is not None and cycle.response_started:
                self.transport.close()  # too late for an answer: the app is already replying
                return
            if cycle is not None:
                cycle.response_complete = True  # the app's own reply, if it comes, is dropped
            self._refuse(408, message)

        def _refuse(self, status: int, message: str) -> None:
            self._disarm()
            body = orjson.dumps({"error": message})
            head = b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])
            head += (
                b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
                % len(body)
            )
            self.transport.write(head + body)
            # A lingering close: end our side, drop what the client still sends, close shortly after.
            # Closing at once with its bytes unread would reset the connection and lose the answer.
            self._refused = True
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.loop.call_later(2.0, self.transport.close)

    return Guarded


class _Refused(Exception):
    """Stops the parser once the head is refused (httptools passes a callback's exception through)."""

"""A journal record and how it reads: the plain tuple the recorder keeps per request (its layout, `R_*`),
and `JournalEntry` / `JournalBody`, which decode and parse it only when someone reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from mock_server.control.redaction import scrub_secrets
from mock_server.domain.kernel import isoformat

__all__ = ["JournalBody", "JournalEntry", "Record"]


class JournalBody:
    """A body as journaled: its media type, full size, and the first bytes (or a summary for a CSV)."""

    __slots__ = ("data", "media_type", "size", "summary", "truncated")

    def __init__(
        self,
        media_type: str | None,
        size: int,
        data: bytes | None,
        truncated: bool,
        summary: str | None = None,
    ) -> None:
        self.media_type = media_type
        self.size = size
        self.data = data
        self.truncated = truncated
        self.summary = summary

    @property
    def content(self) -> Any:
        """The parsed JSON when the body is complete JSON; otherwise the kept text; None for a CSV."""
        data = self.data
        if data is None:
            return None
        if not self.truncated and self.media_type is not None and "json" in self.media_type:
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError:
                pass
        return data.decode("utf-8", "replace")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "size": self.size,
            "truncated": self.truncated,
            "content": self.content,
        }
        if self.summary is not None:
            out["summary"] = self.summary
        return out


#: What the recorder keeps per request: a plain tuple, cheap to build on the request path (and, holding
#: only atoms, soon untracked by the garbage collector), read through these positions when someone asks.
(
    R_REQUEST_ID,  # str
    R_AT,  # datetime: the virtual clock when the request arrived
    R_REAL_AT,  # float: time.time() when it arrived
    R_METHOD,  # str
    R_PATH,  # str, secrets scrubbed
    R_QUERY,  # bytes, secrets scrubbed
    R_OPERATION_ID,  # str | None
    R_FAMILY,  # str
    R_TENANT,  # (redacted key, `key_tag` of the key) | None
    R_STATUS,  # int
    R_OUTCOME,  # str
    R_DURATION_MS,  # float
    R_FORCED,  # Mapping | None: {"by": "fault", "ruleId": 1} or {"by": "prefer", "preference": "code=404"}
    R_DELAY_MS,  # int
    R_REQUEST_HEADERS,  # tuple[(bytes, bytes)], Authorization redacted
    R_REQUEST_BODY,  # (media type, size, first bytes | None, truncated, summary | None) | None
    R_RESPONSE_HEADERS,  # tuple[(str, str)] | None
    R_RESPONSE_BODY,  # (media type, size, first bytes) | None
) = range(18)

Record = tuple[Any, ...]


class JournalEntry:
    """One request and its answer, as read from the journal. `at` is the virtual clock's instant,
    `real_at` the wall clock's (seconds since the epoch)."""

    __slots__ = ("_record", "seq")

    def __init__(self, seq: int, record: Record) -> None:
        self.seq = seq
        self._record = record

    @property
    def request_id(self) -> str:
        return self._record[R_REQUEST_ID]  # type: ignore[no-any-return]

    @property
    def at(self) -> datetime:
        """The virtual clock's instant when the request arrived."""
        return self._record[R_AT]  # type: ignore[no-any-return]

    @property
    def real_at(self) -> float:
        """The wall clock's (seconds since the epoch) when it arrived."""
        return self._record[R_REAL_AT]  # type: ignore[no-any-return]

    @property
    def method(self) -> str:
        return self._record[R_METHOD]  # type: ignore[no-any-return]

    @property
    def path(self) -> str:
        return self._record[R_PATH]  # type: ignore[no-any-return]

    @property
    def operation_id(self) -> str | None:
        """None for an unknown path or method."""
        return self._record[R_OPERATION_ID]  # type: ignore[no-any-return]

    @property
    def family(self) -> str:
        """`v1`, `api` or `mock`."""
        return self._record[R_FAMILY]  # type: ignore[no-any-return]

    @property
    def status(self) -> int:
        return self._record[R_STATUS]  # type: ignore[no-any-return]

    @property
    def outcome(self) -> str:
        """`ok`, `unauthenticated`, `invalid`, `not_found`, `preflight`..."""
        return self._record[R_OUTCOME]  # type: ignore[no-any-return]

    @property
    def duration_ms(self) -> float:
        return self._record[R_DURATION_MS]  # type: ignore[no-any-return]

    @property
    def delay_ms(self) -> int:
        """Latency injected by fault rules."""
        return self._record[R_DELAY_MS]  # type: ignore[no-any-return]

    @property
    def query(self) -> str:
        return self._record[R_QUERY].decode("utf-8", "replace")  # type: ignore[no-any-return]

    @property
    def tenant(self) -> str | None:
        """The tenant's key, redacted (`sk_test_…abcd`); None before auth passed."""
        tenant = self._record[R_TENANT]
        return tenant[0] if tenant is not None else None

    @property
    def forced(self) -> dict[str, Any] | None:
        forced = self._record[R_FORCED]
        return dict(forced) if forced is not None else None

    @property
    def request_headers(self) -> dict[str, str]:
        """The kept request headers (content-type, prefer, origin, user-agent...), Authorization redacted."""
        return {
            name.decode("latin-1"): _header_text(value) for name, value in self._record[R_REQUEST_HEADERS]
        }

    @property
    def response_headers(self) -> dict[str, str]:
        """The headers the handler (or the shell's 401/405) added: Allow, WWW-Authenticate..."""
        return {name: scrub_secrets(value) for name, value in self._record[R_RESPONSE_HEADERS] or ()}

    @property
    def request(self) -> JournalBody | None:
        body = self._record[R_REQUEST_BODY]
        return JournalBody(*body) if body is not None else None

    @property
    def response(self) -> JournalBody | None:
        body = self._record[R_RESPONSE_BODY]
        if body is None:
            return None
        media_type, size, head = body
        return JournalBody(media_type, size, head, size > len(head))

    @property
    def request_body(self) -> Any:
        """The request's JSON (or kept text); None when it had no body."""
        request = self.request
        return request.content if request is not None else None

    @property
    def response_body(self) -> Any:
        response = self.response
        return response.content if response is not None else None

    def to_json(self) -> dict[str, Any]:
        request, response = self.request, self.response
        return {
            "seq": self.seq,
            "requestId": self.request_id,
            "at": isoformat(self.at),
            "realAt": isoformat(datetime.fromtimestamp(self.real_at, UTC)),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "operationId": self.operation_id,
            "family": self.family,
            "tenant": self.tenant,
            "status": self.status,
            "outcome": self.outcome,
            "durationMs": round(self.duration_ms, 3),
            "forced": self.forced,
            "delayMs": self.delay_ms,
            "request": {
                "headers": self.request_headers,
                "body": request.to_json() if request is not None else None,
            },
            "response": {
                "headers": self.response_headers,
                "body": response.to_json() if response is not None else None,
            },
        }

    def log_line(self) -> str:
        """The `fanfare-mock serve` access-log line."""
        query = self.query
        target = f"{self.path}?{query}" if query else self.path
        parts = [self.method, target, str(self.status), f"{self.duration_ms:.1f}ms", self.operation_id or "-"]
        parts.append(self.tenant or "-")
        if self.outcome != "ok":
            parts.append(self.outcome)
        forced = self.forced
        if forced is not None:
            parts.append(
                f"forced:rule#{forced['ruleId']}"
                if forced["by"] == "fault"
                else f"forced:prefer({forced['preference']})"
            )
        if self.delay_ms:
            parts.append(f"+{self.delay_ms}ms")
        parts.append(self.request_id)
        return " ".join(parts)

    def __eq__(self, other: object) -> bool:
        # each read decodes the record afresh: the same request is the same content
        return isinstance(other, JournalEntry) and other.seq == self.seq and other._record == self._record

    def __hash__(self) -> int:
        return hash((self.seq, self._record[R_REQUEST_ID]))

    def __repr__(self) -> str:
        return (
            f"<JournalEntry #{self.seq} {self.method} {self.path} {self.status} {self.operation_id or '-'}>"
        )


def _header_text(value: bytes) -> str:
    # Redacted values carry a UTF-8 ellipsis; anything else a client sent is latin-1 by HTTP's rules.
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")

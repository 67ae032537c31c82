"""The request journal: one entry per request (routed or not), kept in a bounded ring, queryable by
operation, tenant, status, method, path, outcome and whether it was forced.

Entries hold no secret: keys are redacted when the entry is made (`sk_test_…abcd`), and the tenant is
matched by a hash of its key. Bodies are kept raw (up to a limit) and decoded only when read, so
recording stays cheap on the request path. Shared by the server's loop and a test's thread: a lock.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from mock_server.domain.clock import isoformat
from mock_server.web.security import redact

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "DEFAULT_CAPACITY",
    "Journal",
    "JournalBody",
    "JournalEntry",
    "scrub_bytes",
    "scrub_secrets",
    "status_filter",
]

DEFAULT_CAPACITY = 10_000
#: Bytes of each request and response body kept (worst case about 80 MB for a full default ring).
DEFAULT_BODY_LIMIT = 4096

_SECRET = re.compile(rb"sk_(?:live|test)_[A-Za-z0-9_]{1,200}")


def scrub_bytes(data: bytes) -> bytes:
    """Every secret key in `data`, redacted (also one cut short by truncation: at most its last four
    characters survive)."""
    if b"sk_" not in data:
        return data
    return _SECRET.sub(lambda match: (redact(match.group().decode("ascii")) or "").encode("utf-8"), data)


def scrub_secrets(text: str) -> str:
    return scrub_bytes(text.encode("utf-8")).decode("utf-8") if "sk_" in text else text


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


class JournalEntry:
    """One request and its answer. `at` is the virtual clock's instant, `real_at` the wall clock's."""

    __slots__ = (
        "at",
        "delay_ms",
        "duration_ms",
        "family",
        "forced",
        "key_hash",
        "method",
        "operation_id",
        "outcome",
        "path",
        "query",
        "raw_request_headers",
        "raw_response_headers",
        "real_at",
        "request",
        "request",
        "request_id",
        "response",
        "seq",
        "status",
        "tenant",
    )

    def __init__(
        self,
        request_id: str,
        at: datetime,
        real_at: float,
        method: str,
        path: str,
        query: str,
        operation_id: str | None,
        family: str,
        tenant: str | None,
        key_hash: int | None,
        status: int,
        outcome: str,
        duration_ms: float,
        forced: Mapping[str, Any] | None = None,
        delay_ms: int = 0,
        request_headers: Sequence[tuple[bytes, bytes]] = (),
        request: JournalBody | None = None,
        response_headers: Mapping[str, str] | None = None,
        response: JournalBody | None = None,
    ) -> None:
        self.seq = 0  # set when recorded
        self.request_id = request_id
        self.at = at
        self.real_at = real_at
        self.method = method
        self.path = path
        self.query = query
        self.operation_id = operation_id
        self.family = family
        self.tenant = tenant
        self.key_hash = key_hash
        self.status = status
        self.outcome = outcome
        self.duration_ms = duration_ms
        self.forced = forced
        self.delay_ms = delay_ms
        self.raw_request_headers = request_headers
        self.request = request
        self.raw_response_headers = response_headers
        self.response = response

    @property
    def request_headers(self) -> dict[str, str]:
        """The kept request headers (content-type, prefer, origin, user-agent...), Authorization redacted."""
        return {name.decode("latin-1"): _header_text(value) for name, value in self.raw_request_headers}

    @property
    def response_headers(self) -> dict[str, str]:
        """The headers the handler (or the shell's 401/405) added: Allow, WWW-Authenticate..."""
        headers = self.raw_response_headers
        return {name: scrub_secrets(value) for name, value in headers.items()} if headers else {}

    @property
    def request_body(self) -> Any:
        """The request's JSON (or kept text); None when it had no body."""
        return self.request.content if self.request is not None else None

    @property
    def response_body(self) -> Any:
        return self.response.content if self.response is not None else None

    def to_json(self) -> dict[str, Any]:
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
            "forced": dict(self.forced) if self.forced is not None else None,
            "delayMs": self.delay_ms,
            "request": {
                "headers": self.request_headers,
                "body": self.request.to_json() if self.request is not None else None,
            },
            "response": {
                "headers": self.response_headers,
                "body": self.response.to_json() if self.response is not None else None,
            },
        }

    def log_line(self) -> str:
        """The `fanfare-mock serve` access-log line."""
        target = f"{self.path}?{self.query}" if self.query else self.path
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


def status_filter(status: int | str | None) -> tuple[int, int] | None:
    """`404` or `"404"` -> (404, 405); `"4xx"` -> (400, 500); None -> None. Raises ValueError otherwise."""
    if status is None:
        return None
    text = str(status).lower()
    if len(text) == 3 and text[0] in "12345":
        if text[1:] == "xx":
            low = int(text[0]) * 100
            return low, low + 100
        if text.isdigit():
            return int(text), int(text) + 1
    raise ValueError(f"status must be a status (404) or a class (4xx), not {status!r}")


class Journal:
    """The ring. `capacity` 0 keeps nothing (the access log still works from unrecorded entries)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, body_limit: int = DEFAULT_BODY_LIMIT) -> None:
        if capacity < 0 or body_limit < 0:
            raise ValueError("the journal's capacity and body limit cannot be negative")
        self.capacity = capacity
        self.body_limit = body_limit
        self._ring: deque[JournalEntry] = deque(maxlen=capacity or 1)
        self._lock = threading.Lock()
        self._seq = 0
        self.dropped = 0

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    @property
    def latest_seq(self) -> int:
        return self._seq

    def record(self, entry: JournalEntry) -> None:
        if not self.capacity:
            return
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            if len(self._ring) == self.capacity:
                self.dropped += 1
            self._ring.append(entry)

    def clear(self) -> int:
        with self._lock:
            removed = len(self._ring)
            self._ring.clear()
            self.dropped = 0
        return removed

    def __len__(self) -> int:
        return len(self._ring)

    def __iter__(self) -> Iterator[JournalEntry]:
        with self._lock:
            return iter(list(self._ring))

    def entries(
        self,
        *,
        operation_id: str | None = None,
        secret_key: str | None = None,
        status: int | str | None = None,
        method: str | None = None,
        path: str | None = None,
        outcome: str | None = None,
        forced: bool | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Matching entries, oldest first: the newest `limit` of them, or with `after` the first `limit`
        newer than that seq."""
        statuses = status_filter(status)
        key_hash = hash(secret_key) if secret_key is not None else None
        upper = method.upper() if method is not None else None

        def wanted(entry: JournalEntry) -> bool:
            return (
                (operation_id is None or entry.operation_id == operation_id)
                and (key_hash is None or entry.key_hash == key_hash)
                and (statuses is None or statuses[0] <= entry.status < statuses[1])
                and (upper is None or entry.method == upper)
                and (path is None or entry.path.startswith(path))
                and (outcome is None or entry.outcome == outcome)
                and (forced is None or (entry.forced is not None) == forced)
            )

        with self._lock:
            ring = list(self._ring)
        if after is not None:
            # Seqs in the ring are consecutive: skip straight to the first one after `after`.
            start = max(0, after - ring[0].seq + 1) if ring else 0
            found: list[JournalEntry] = []
            for entry in ring[start:]:
                if wanted(entry):
                    found.append(entry)
                    if limit is not None and len(found) >= limit:
                        break
            return found
        newest: list[JournalEntry] = []
        for entry in reversed(ring):
            if wanted(entry):
                newest.append(entry)
                if limit is not None and len(newest) >= limit:
                    break
        newest.reverse()
        return newest

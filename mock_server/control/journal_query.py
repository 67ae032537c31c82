"""Which journal entries a reader wants, by `GET /_mock/journal` or a test's `mock.journal.entries(...)`:
one value the handler and the pytest handle build and the journal answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from typing import Any

__all__ = ["PAGE_SIZE", "JournalQuery", "status_range"]

#: How many entries `GET /_mock/journal` answers when no `limit` is given (the document's default).
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class JournalQuery:
    """Entries of `operation_id`, by the tenant whose secret key is `key`, with `status` (404, or a class
    like "4xx"), `method`, a `path` prefix, `outcome`, and `forced` (True: answers a fault rule or
    `Prefer` chose). The newest `limit` of them, or with `after` the first `limit` newer than that seq.
    None is "any". The key never shows in a repr."""

    operation_id: str | None = None
    _: KW_ONLY
    status: int | str | None = None
    key: str | None = field(default=None, repr=False)
    method: str | None = None
    path: str | None = None
    outcome: str | None = None
    forced: bool | None = None
    after: int | None = None
    limit: int | None = None

    @classmethod
    def from_request(cls, query: Mapping[str, Any]) -> JournalQuery:
        """From the query of `GET /_mock/journal` (already validated and typed by the shell)."""
        return cls(
            query.get("operationId"),
            status=query.get("status"),
            key=query.get("secretKey"),
            method=query.get("method"),
            path=query.get("path"),
            outcome=query.get("outcome"),
            forced=query.get("forced"),
            after=query.get("after"),
            limit=query.get("limit", PAGE_SIZE),
        )

    def describe(self) -> str:
        """The filters asked for, as a reader wrote them: `operation_id='getV1Audiences', status=500`."""
        asked = ((f.name, getattr(self, f.name)) for f in fields(self) if f.name != "limit")
        return ", ".join(f"{name}={value!r}" for name, value in asked if value is not None)


def status_range(status: int | str | None) -> tuple[int, int] | None:
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

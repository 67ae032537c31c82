"""Wire-format pieces both dialects share: timestamps, includes, and reading optional JSON fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mock_server.domain.audiences import UNSET
from mock_server.domain.kernel import isoformat


def ts(instant: datetime | None) -> str | None:
    return None if instant is None else isoformat(instant)


def parse_ts(text: str | None) -> datetime | None:
    """An ISO-8601 instant from a request (any offset; `Z` accepted; no offset means UTC).

    The reference types `lastRefreshedAt` as a plain string, so any string is schema-valid there; one that
    is not an instant is kept as "no instant" (null) rather than refused (RECONCILIATION: timestamps)."""
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def includes(query: Mapping[str, Any], default: str = "") -> frozenset[str]:
    """The `include` query parameter as a set of relation names."""
    text = query.get("include")
    if text is None:
        text = default
    return frozenset(part.strip() for part in str(text).split(",") if part.strip())


def given(body: Mapping[str, Any], key: str, convert: Any = None) -> Any:
    """A body field for a patch: UNSET when absent, else its value (converted unless null)."""
    if key not in body:
        return UNSET
    value = body[key]
    return value if value is None or convert is None else convert(value)

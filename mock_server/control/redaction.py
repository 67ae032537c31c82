"""Secret keys out of everything the control plane keeps: a key in a path, a query, a header or a body is
redacted to its last four characters (`sk_test_…abcd`) before it is stored, and a tenant is matched by
its key's tag, never by the key."""

from __future__ import annotations

import re

from mock_server.web.security import redact

__all__ = ["key_tag", "scrub_bytes", "scrub_secrets"]

_SECRET = re.compile(rb"sk_(?:live|test)_[A-Za-z0-9_]{1,200}")


def scrub_bytes(data: bytes) -> bytes:
    """Every secret key in `data`, redacted (also one cut short by truncation: at most its last four
    characters survive)."""
    if b"sk_" not in data:
        return data
    return _SECRET.sub(lambda match: (redact(match.group().decode("ascii")) or "").encode("utf-8"), data)


def scrub_secrets(text: str) -> str:
    return scrub_bytes(text.encode("utf-8")).decode("utf-8") if "sk_" in text else text


def key_tag(secret_key: str) -> int:
    """The tag the fault book and the journal match a tenant by: Python's `hash`, cheap on every request
    and meaningless outside this process (never stored; the world's `key_hash` is the stable SHA-256)."""
    return hash(secret_key)

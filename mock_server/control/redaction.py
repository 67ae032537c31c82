"""Secrets out of everything the control plane keeps: a secret key (or the control token) in a path, a
query, a header or a body is redacted to its last four characters (`sk_test_…abcd`, `fmc…abcd`) before it
is stored, and a tenant is matched by its key's tag, never by the key."""

from __future__ import annotations

import re

from mock_server.web.security import redact

__all__ = ["key_tag", "may_hold_secret", "scrub_bytes", "scrub_secrets"]

_SECRET = re.compile(rb"sk_(?:live|test)_[A-Za-z0-9_]{1,200}|fmc_[A-Za-z0-9_-]{1,200}")


def may_hold_secret(data: bytes) -> bool:
    """The cheap test before a scrub (on every request's path, query and headers)."""
    return b"sk_" in data or b"fmc_" in data


def scrub_bytes(data: bytes) -> bytes:
    """Every secret in `data`, redacted (also one cut short by truncation: at most its last four
    characters survive)."""
    if not may_hold_secret(data):
        return data
    return _SECRET.sub(lambda match: (redact(match.group().decode("ascii")) or "").encode("utf-8"), data)


def scrub_secrets(text: str) -> str:
    return scrub_bytes(text.encode("utf-8")).decode("utf-8") if "sk_" in text or "fmc_" in text else text


def key_tag(secret_key: str) -> int:
    """The tag the fault book and the journal match a tenant by: Python's `hash`, cheap on every request
    and meaningless outside this process (never stored; the world's `key_hash` is the stable SHA-256)."""
    return hash(secret_key)

"""Secrets out of everything the control plane keeps: a secret key (or the control token) in a path, a
query, a header or a body is redacted to its last four characters (`sk_test_…abcd`, `fmc…abcd`) before it
is stored, and a tenant is matched by its key's tag, never by the key."""

from __future__ import annotations

import re

from mock_server.web.security import redact

__all__ = ["key_tag", "may_hold_secret", "scrub_bytes", "scrub_secrets"]

_SECRET = re.compile(rb"sk_(?:live|test)_[A-Za-z0-9_]{1,200}|fmc_[A-Za-z0-9_-]{1,200}")


def _hex(code: int) -> bytes:
    return b"".join(b"[%c%c]" % (d, d ^ 0x20) if d >= 0x61 else bytes([d]) for d in b"%02x" % code)


def _encoded(char: str) -> bytes:
    """One character of a key as it may be written: itself, percent-encoded, or JSON `\\u00XX`-escaped."""
    code = ord(char)
    return b"(?:%s|%%%s|\\\\u00%s)" % (re.escape(char).encode(), _hex(code), _hex(code))


def _encoded_class(chars: str) -> bytes:
    escapes = b"|".join(_hex(ord(c)) for c in sorted(set(chars)))
    return b"(?:[%s]|(?:%%|\\\\u00)(?:%s))" % (re.escape(chars).encode(), escapes)


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


def _word(word: str) -> bytes:
    return b"".join(_encoded(c) for c in word)


#: The same keys with any of their characters percent-encoded (a query, a path) or JSON-escaped (a body):
#: the decoded text would show the key, so the written one is redacted too.
_ENCODED_SECRET = re.compile(
    _word("sk_")
    + b"(?:"
    + _word("live")
    + b"|"
    + _word("test")
    + b")"
    + _word("_")
    + _encoded_class(_ALNUM)
    + b"{1,200}"
    + b"|"
    + _word("fmc_")
    + _encoded_class(_ALNUM + "-")
    + b"{1,200}"
)
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})|\\u00([0-9A-Fa-f]{2})")


def may_hold_secret(data: bytes) -> bool:
    """The cheap test before a scrub (on every request's path, query and headers)."""
    return b"sk_" in data or b"fmc_" in data or b"%" in data or b"\\u" in data


def _shown(match: re.Match[bytes]) -> bytes:
    key = _ESCAPE.sub(lambda e: bytes([int(e.group(1) or e.group(2), 16)]), match.group())
    return (redact(key.decode("ascii")) or "").encode("utf-8")


def scrub_bytes(data: bytes) -> bytes:
    """Every secret in `data`, redacted (also one cut short by truncation: at most its last four
    characters survive), plain or written with escapes."""
    if not may_hold_secret(data):
        return data
    if b"%" in data or b"\\u" in data:
        return _ENCODED_SECRET.sub(_shown, data)
    return _SECRET.sub(_shown, data)


def scrub_secrets(text: str) -> str:
    if "sk_" in text or "fmc_" in text or "%" in text or "\\u" in text:
        return scrub_bytes(text.encode("utf-8")).decode("utf-8")
    return text


def key_tag(secret_key: str) -> int:
    """The tag the fault book and the journal match a tenant by: Python's `hash`, cheap on every request
    and meaningless outside this process (never stored; the world's `key_hash` is the stable SHA-256)."""
    return hash(secret_key)

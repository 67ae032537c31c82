"""Keyset pages over sorted consumer positions, with opaque, checksummed cursors.

A cursor is base64url of a version tag, the consumer position it points at, and a keyed checksum:
never an offset, so a walk sees every member exactly once while other members come and go, and
garbage (or a hand-edited cursor) is `Invalid("Invalid cursor")`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from mock_server.domain.audiences.membership import Positions
from mock_server.domain.kernel import Invalid, Issue

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_TAG = b"c1"
_KEY = b"fanfare-mock/members-cursor"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    start_cursor: str | None
    end_cursor: str | None  # None on the last page (forward); clients stop there


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    search: str | None = None


def encode_cursor(position: int) -> str:
    body = _TAG + position.to_bytes(8, "big")
    return base64.urlsafe_b64encode(body + _checksum(body)).rstrip(b"=").decode("ascii")


def decode_cursor(text: str, parameter: str = "after") -> int:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    body, check = raw[:10], raw[10:]
    if len(raw) != 14 or not body.startswith(_TAG) or check != _checksum(body):
        raise Invalid("Invalid cursor", (Issue(parameter, "Invalid cursor"),))
    return int.from_bytes(body[2:], "big")


def _checksum(body: bytes) -> bytes:
    return hashlib.blake2b(body, key=_KEY, digest_size=4).digest()


def page_size(value: int | None, parameter: str) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise Invalid(
            f"{parameter} must be between 1 and {MAX_PAGE_SIZE}", (Issue(parameter, "out of range"),)
        )
    return value


Matcher = Callable[[npt.NDArray[np.int64]], npt.NDArray[np.bool_]]


def select(positions: Positions, request: PageRequest, matches: Matcher | None) -> Page[int]:
    """The page of positions a request asks for (forward with first/after, backward with last/before)."""
    if request.before is not None or request.last is not None:
        if request.first is not None or request.after is not None:
            raise Invalid("Use either first/after or last/before", (Issue("before", "mixed directions"),))
        size = page_size(request.last, "last")
        end = len(positions)
        if request.before is not None:
            end = int(np.searchsorted(positions, decode_cursor(request.before, "before"), side="left"))
        found, more = _scan(positions, end, -1, size, matches)
        found.reverse()
        start_cursor = encode_cursor(found[0]) if found and more else None
        end_cursor = encode_cursor(found[-1]) if found else None
        return Page(tuple(found), start_cursor, end_cursor)
    size = page_size(request.first, "first")
    start = 0
    if request.after is not None:
        start = int(np.searchsorted(positions, decode_cursor(request.after, "after"), side="right"))
    found, more = _scan(positions, start, 1, size, matches)
    start_cursor = encode_cursor(found[0]) if found else None
    end_cursor = encode_cursor(found[-1]) if found and more else None
    return Page(tuple(found), start_cursor, end_cursor)


def _scan(
    positions: Positions, start: int, step: int, size: int, matches: Matcher | None
) -> tuple[list[int], bool]:
    """Up to `size` matching positions from index `start` in direction `step`, and whether more follow."""
    if matches is None:
        if step > 0:
            chunk = positions[start : start + size]
            return chunk.tolist(), start + size < len(positions)
        chunk = positions[max(0, start - size) : start]
        return chunk[::-1].tolist(), start - size > 0
    found: list[int] = []
    window = max(64, size * 8)
    cursor = start
    while (cursor < len(positions)) if step > 0 else (cursor > 0):
        if step > 0:
            chunk = positions[cursor : cursor + window]
            cursor += window
        else:
            chunk = positions[max(0, cursor - window) : cursor][::-1]
            cursor -= window
        for position in chunk[matches(chunk)].tolist():
            if len(found) == size:
                return found, True
            found.append(position)
        window = min(window * 4, 65_536)
    return found, False

"""Keyset pages over a tenant's entities (audiences, experiences), ordered by id: UUIDv7 ids sort by creation,
so a cursor naming the last id seen stays correct while entities are created or archived between pages."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Protocol, TypeVar

from mock_server.domain.audiences import MAX_PAGE_SIZE, Page
from mock_server.domain.kernel import Invalid, Issue

_TAG = "e1:"
_DEFAULT_SIZE = 20


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)


def encode(entity_id: str) -> str:
    return base64.urlsafe_b64encode((_TAG + entity_id).encode()).rstrip(b"=").decode("ascii")


def decode(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        text = ""
    if not text.startswith(_TAG):
        raise Invalid("Invalid cursor", (Issue("after", "not a cursor this server issued"),))
    return text[len(_TAG) :]


def page_by_id(
    entities: Sequence[T], first: int | None, after: str | None, *, newest_first: bool = True
) -> Page[T]:
    """One page of `first` entities after the cursor `after`, newest first (the reference's list order)."""
    ordered = sorted(entities, key=lambda e: e.id, reverse=newest_first)
    size = min(first or _DEFAULT_SIZE, MAX_PAGE_SIZE)
    start = 0
    if after:
        last = decode(after)
        start = next(
            (i for i, e in enumerate(ordered) if (e.id < last if newest_first else e.id > last)), len(ordered)
        )
    items = tuple(ordered[start : start + size])
    more = start + size < len(ordered)
    return Page(
        items=items,
        start_cursor=encode(items[0].id) if items else None,
        end_cursor=encode(items[-1].id) if items and more else None,
    )

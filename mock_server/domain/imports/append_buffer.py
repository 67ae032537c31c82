"""New consumers held back and appended in batches: a ConsumerDirectory in front of a BulkDirectory.

An import appends most of its rows, and one append at a time pays per row what a batch pays once (slice
writes, ids drawn together). Lookups, reads and updates see the held-back consumers, so an import
deduplicates exactly as if each had been appended at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from mock_server.domain.consumers import email_key
from mock_server.domain.imports.directory import ConsumerDirectory

#: Held-back consumers are appended when this many are waiting (and whenever `flush` is called).
BATCH = 1024


@runtime_checkable
class BulkDirectory(ConsumerDirectory, Protocol):
    """A directory that also appends many consumers at once (`ConsumerTable` fits it).

    Emails must match as `email_key` says, and positions be handed out in order: `append_many` returns
    the positions `len(self)`, `len(self) + 1`... Metadata keys become columns in the order they first
    appear, and a consumer's metadata is shown in that order (so the buffer must keep it).
    """

    def __len__(self) -> int: ...
    def append_many(self, rows: Sequence[Mapping[str, Any]]) -> Sequence[int]: ...
    def has_metadata_key(self, key: str) -> bool: ...


class AppendBuffer:
    """A ConsumerDirectory that appends to `inner` in batches; call `flush` before using the positions.

    A held-back consumer has its final position at once (the next ones `inner` will give), and its
    identifiers are matched like the directory's own. They were all unclaimed when it was held back, and
    lookups go through here, so the directory and the buffer never both hold an identifier (and the
    buffer holds each at most once, as `upsert_consumer` keeps them).
    """

    __slots__ = ("_base", "_email", "_external_id", "_inner", "_keys", "_limit", "_phone", "_rows")

    def __init__(self, inner: BulkDirectory, limit: int = BATCH) -> None:
        self._inner = inner
        self._limit = limit
        self._base = 0  # the position of _rows[0]
        self._rows: list[dict[str, Any]] = []
        self._email: dict[str, int] = {}
        self._phone: dict[str, int] = {}
        self._external_id: dict[str, int] = {}
        self._keys: set[str] = set()  # metadata keys known to be columns of the directory

    @property
    def pending(self) -> int:
        return len(self._rows)

    def index_of_email(self, email: str) -> int | None:
        found = self._inner.index_of_email(email)
        return self._email.get(email_key(email)) if found is None and self._rows else found

    def index_of_phone(self, phone: str) -> int | None:
        found = self._inner.index_of_phone(phone)
        return self._phone.get(phone) if found is None and self._rows else found

    def index_of_external_id(self, external_id: str) -> int | None:
        found = self._inner.index_of_external_id(external_id)
        return self._external_id.get(external_id) if found is None and self._rows else found

    def metadata_of(self, position: int) -> Mapping[str, Any] | None:
        if position < self._base or not self._rows:
            return self._inner.metadata_of(position)
        return self._rows[position - self._base].get("metadata") or None

    def append(self, **attrs: Any) -> int:
        if not self._rows:
            self._base = len(self._inner)
        rows = self._rows
        position = self._base + len(rows)
        rows.append(attrs)
        self._claim(position, attrs)
        if len(rows) >= self._limit:
            self.flush()
        return position

    def update(self, position: int, **attrs: Any) -> None:
        metadata = attrs.get("metadata")
        if metadata and self._rows and not self._known_keys(metadata):
            # A metadata key new to the directory: the held-back rows come first in the file, so their
            # new keys must become columns first (rare: a file's rows mostly share their keys).
            self.flush()
        if position < self._base or not self._rows:
            self._inner.update(position, **attrs)
            return
        row = self._rows[position - self._base]
        holders = (("email", self._email), ("phone", self._phone), ("external_id", self._external_id))
        for name, held in holders:
            if name in attrs:
                old = row.get(name)
                if old:
                    key = email_key(old) if name == "email" else old
                    if held.get(key) == position:
                        del held[key]
        row.update(attrs)
        self._claim(position, attrs)

    def flush(self) -> None:
        """Append every held-back consumer to the directory."""
        if not self._rows:
            return
        positions = self._inner.append_many(self._rows)
        if len(positions) != len(self._rows) or (positions and positions[0] != self._base):
            raise RuntimeError("the directory changed under an import's append buffer")
        self._rows = []
        self._email.clear()
        self._phone.clear()
        self._external_id.clear()

    def _known_keys(self, metadata: Mapping[str, Any]) -> bool:
        """Whether every key of `metadata` is a column of the directory already (columns never go away)."""
        if self._keys.issuperset(metadata):
            return True
        known = [key for key in metadata if key not in self._keys and self._inner.has_metadata_key(key)]
        self._keys.update(known)
        return self._keys.issuperset(metadata)

    def _claim(self, position: int, attrs: Mapping[str, Any]) -> None:
        # setdefault: were a value held twice, the lower position would answer, as in the directory
        email, phone, external_id = attrs.get("email"), attrs.get("phone"), attrs.get("external_id")
        if email and (key := email_key(email)):
            self._email.setdefault(key, position)
        if phone:
            self._phone.setdefault(phone, position)
        if external_id:
            self._external_id.setdefault(external_id, position)

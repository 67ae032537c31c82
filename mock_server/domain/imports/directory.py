"""What an import or a sync writes to: the consumer directory, the member sink, and the upsert rule.

Rows are matched to consumers by email, then phone, then externalId. In-memory doubles of both protocols
serve the tests, the bench, and as a reference for adapters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mock_server.domain.imports.csv_rows import JsonValue


class ConsumerDirectory(Protocol):
    """The organization's consumers as an importer sees them. `ConsumerTable` fits it.

    Lookups must see consumers appended earlier in the same import (that is how in-file duplicates merge).
    `append` and `update` take these attributes: email, phone, external_id, full_name, loyalty_balance,
    metadata; `update` changes only what it is given. Emails are passed lowercased, phones in E.164.
    """

    def index_of_email(self, email: str) -> int | None: ...
    def index_of_phone(self, phone: str) -> int | None: ...
    def index_of_external_id(self, external_id: str) -> int | None: ...
    def metadata_of(self, position: int) -> Mapping[str, Any] | None: ...
    def append(self, **attrs: Any) -> int: ...
    def update(self, position: int, **attrs: Any) -> None: ...


class MemberSink(Protocol):
    """The target audience's membership; adding a position that is already a member is a no-op."""

    def add_members(self, positions: Iterable[int]) -> int: ...


def upsert_consumer(
    directory: ConsumerDirectory,
    *,
    email: str | None,
    phone: str | None,
    external_id: str | None,
    full_name: str | None = None,
    loyalty_balance: int | None = None,
    metadata: Mapping[str, JsonValue] | None = None,
) -> tuple[int, bool]:
    """Find the consumer by email, then phone, then externalId; update it or create one.

    Returns (position, created).
    """
    found = directory.index_of_email(email) if email else None
    if found is None and phone:
        found = directory.index_of_phone(phone)
    if found is None and external_id:
        found = directory.index_of_external_id(external_id)
    attrs: dict[str, Any] = {}
    if full_name is not None:
        attrs["full_name"] = full_name
    if loyalty_balance is not None:
        attrs["loyalty_balance"] = loyalty_balance
    if found is None:
        if metadata is not None:
            attrs["metadata"] = dict(metadata)
        position = directory.append(email=email, phone=phone, external_id=external_id, **attrs)
        return position, True
    # The row's identifiers win (that is "update"), except one another consumer holds: a row matched by
    # email whose phone belongs to someone else must not make two consumers share (or steal) that phone.
    for name, value, lookup in (
        ("email", email, directory.index_of_email),
        ("phone", phone, directory.index_of_phone),
        ("external_id", external_id, directory.index_of_external_id),
    ):
        if value and lookup(value) in (None, found):
            attrs[name] = value
    if metadata:
        attrs["metadata"] = {**(directory.metadata_of(found) or {}), **metadata}  # merge: keys given win
    if attrs:
        directory.update(found, **attrs)
    return found, False


# ---- in-memory doubles ----------------------------------------------------------------------------------


@dataclass(slots=True)
class MemoryDirectory:
    """A plain ConsumerDirectory: one dict per consumer, one index per identifier."""

    consumers: list[dict[str, Any]] = field(default_factory=list)
    _by: dict[str, dict[str, int]] = field(
        default_factory=lambda: {"email": {}, "phone": {}, "external_id": {}}
    )

    def index_of_email(self, email: str) -> int | None:
        return self._by["email"].get(email.lower())

    def index_of_phone(self, phone: str) -> int | None:
        return self._by["phone"].get(phone)

    def index_of_external_id(self, external_id: str) -> int | None:
        return self._by["external_id"].get(external_id)

    def metadata_of(self, position: int) -> Mapping[str, Any] | None:
        value = self.consumers[position].get("metadata")
        return value if isinstance(value, Mapping) else None

    def append(self, **attrs: Any) -> int:
        self.consumers.append({})
        position = len(self.consumers) - 1
        self.update(position, **attrs)
        return position

    def update(self, position: int, **attrs: Any) -> None:
        consumer = self.consumers[position]
        for name, index in self._by.items():
            if name in attrs:
                old, new = consumer.get(name), attrs[name]
                if old is not None:
                    index.pop(old.lower() if name == "email" else old, None)
                if new is not None:
                    index[new.lower() if name == "email" else new] = position
        consumer.update(attrs)


@dataclass(slots=True)
class MemorySink:
    """A MemberSink over a set of positions."""

    members: set[int] = field(default_factory=set)

    def add_members(self, positions: Iterable[int]) -> int:
        before = len(self.members)
        self.members.update(positions)
        return len(self.members) - before

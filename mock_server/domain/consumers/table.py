"""One organization's consumers as a columnar table: numpy columns for numbers, lists for unique strings.

A consumer is a stable integer position (its key for cursors and membership) plus a UUIDv7 id; the
columns carry the union of both documentation styles' attributes. Columns handed in at construction
are shared (the store's head, a column copied on its first write; appended consumers go to a tail of
the table's own), so one seeded base backs every organization of a seed and every reset; each table
sees the base's ids XORed with its own 62-bit mask (`id_mask`), so tenants never share a consumer id,
and the lookups built over the base alone (identifier indexes, folded text) are kept on the base, built
once for all of them. The storage is `ColumnStore` (head and tail, the location pool), the folded text
of CONTAINS rules `FoldedText`, a snapshot's rows `ChangedRows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import numpy as np
import numpy.typing as npt

from mock_server.domain.consumers.change_log import ChangeLog
from mock_server.domain.consumers.changed_rows import ChangedRows
from mock_server.domain.consumers.column_store import ColumnStore
from mock_server.domain.consumers.columns import (
    ATTRIBUTE_COLUMNS,
    NUMERIC_COLUMNS,
    STRING_COLUMNS,
    check_attribute_names,
)
from mock_server.domain.consumers.columns import ConsumerColumns as ConsumerColumns  # re-exported for callers
from mock_server.domain.consumers.columns import empty_columns as empty_columns
from mock_server.domain.consumers.folded_text import FoldedText
from mock_server.domain.consumers.record import (
    MISSING_TIME,
    STATUS_ORDER,
    ConsumerRecord,
    ConsumerStatus,
    Location,
    records_from_columns,
    to_millis,
)
from mock_server.domain.consumers.value_index import LayeredIndex, ValueIndex
from mock_server.domain.kernel import Clock, Conflict, IdFactory, Invalid, Issue


class ConsumerTable:
    """The consumers of one organization. Positions are stable; nothing is ever removed."""

    def __init__(
        self, organization_id: str, clock: Clock, ids: IdFactory, columns: ConsumerColumns, id_mask: int = 0
    ) -> None:
        if not 0 <= id_mask < 1 << 62:  # the top two bits of the low half are the UUID variant
            raise ValueError("id_mask: 62 bits")
        self.organization_id = organization_id
        self._clock = clock
        self._ids = ids
        self._n = len(columns)
        self.base_len = self._n
        self._columns = ColumnStore(columns)
        self._base = columns  # its `lookups` hold what is built over the generated columns alone
        self._id_mask = id_mask  # a base position's stored id_lo is its id's low half XOR this
        self.metadata = columns.metadata.fork()
        # uuid int -> position, for ids not in the sorted base: made on the first lookup that needs it (the
        # appended rows' ids are in the columns; most organizations are never asked for one by id)
        self._extra_ids: dict[int, int] | None = None
        self._indexes: dict[str, ValueIndex] = {}
        self._own_indexes: set[str] = set()  # the others are the base's, shared: layered before a write
        self._touched: set[int] = set()  # base positions changed since generation (for snapshots)
        self.revision = 0  # bumps on every change, so materialized audiences know they are stale
        self._string_writes: dict[str, int] = {}
        self._text = FoldedText(columns.lookups, columns.strings, self.base_len)
        self.changes = ChangeLog()  # positions changed in place, for readers that catch up (member sets)

    def __len__(self) -> int:
        return self._n

    # ---- columns (read-only views for rule evaluation) -------------------------------------------
    def column(self, name: str) -> npt.NDArray[Any]:
        return self._columns.column(name)

    def strings(self, name: str) -> list[str | None]:
        return self._columns.strings(name)

    def contains(self, name: str, needle: str, lo: int = 0, hi: int | None = None) -> npt.NDArray[np.bool_]:
        """Which consumers in [lo, hi) hold `needle` (case-folded, not empty, no NUL) in a string column,
        ignoring case: a CONTAINS rule over the column's folded text (see `FoldedText`)."""
        return self._text.contains(name, needle, self.strings(name), lo, self._n if hi is None else hi)

    @property
    def locations(self) -> Sequence[Location]:
        return self._columns.locations

    # ---- lookups -----------------------------------------------------------------------------------
    def index_of_id(self, consumer_id: str) -> int | None:
        try:
            value = UUID(consumer_id).int
        except (ValueError, AttributeError, TypeError):
            return None
        if self._n > self.base_len:
            position = self._appended_ids().get(value)
            if position is not None:
                return position
        hi, lo = value >> 64, value & 0xFFFFFFFFFFFFFFFF
        base_hi = self._columns.head("id_hi")
        start = int(np.searchsorted(base_hi, np.uint64(hi), side="left"))
        end = int(np.searchsorted(base_hi, np.uint64(hi), side="right"))
        for i in range(start, end):
            if int(self._columns.value("id_lo", i)) ^ self._id_mask == lo:
                return i
        return None

    def _appended_ids(self) -> dict[int, int]:
        if self._extra_ids is None:
            at = np.arange(self.base_len, self._n, dtype=np.int64)
            his, los = self._columns.take("id_hi", at).tolist(), self._columns.take("id_lo", at).tolist()
            ids = ((hi << 64) | lo for hi, lo in zip(his, los, strict=True))
            self._extra_ids = dict(zip(ids, range(self.base_len, self._n), strict=True))
        return self._extra_ids

    def index_of_email(self, email: str) -> int | None:
        return self._index("email").first(email_key(email))

    def index_of_phone(self, phone: str) -> int | None:
        return self._index("phone").first(phone)

    def index_of_external_id(self, external_id: str) -> int | None:
        return self._index("external_id").first(external_id)

    def _index(self, name: str) -> ValueIndex:
        index = self._indexes.get(name)
        if index is None:  # built on first use, once per seed: most organizations never import anything
            key = email_key if name == "email" else _same
            generated = self._base.strings[name]
            index = self._base.lookups.get(("index", name))
            if index is None:
                index = ValueIndex.build(None if v is None else key(v) for v in generated)
                self._base.lookups[("index", name)] = index
            if self._string_writes.get(name, 0):  # (appends without a value keep the base's valid)
                tail = self._columns.tail_strings(name)
                index = index.changed(generated, self.strings(name), self._touched, key, tail)
                self._own_indexes.add(name)
            self._indexes[name] = index
        return index

    def _built_index(self, name: str) -> ValueIndex | None:
        """The column's index to change, when one is built (the base's gets a layer of this table's)."""
        index = self._indexes.get(name)
        if index is not None and name not in self._own_indexes:
            tail = self._columns.tail_strings(name)
            index = self._indexes[name] = LayeredIndex(index, self.base_len, tail)
            self._own_indexes.add(name)
        return index

    # ---- reads ---------------------------------------------------------------------------------------
    def metadata_of(self, position: int) -> dict[str, Any] | None:
        """One consumer's metadata (what `record(position).metadata` holds, without building the record)."""
        if not 0 <= position < self._n:
            raise IndexError(position)
        return self.metadata.record(position)

    def has_metadata_key(self, key: str) -> bool:
        return self.metadata.has(key)

    def id_of(self, position: int) -> str:
        lo = int(self._columns.value("id_lo", position)) ^ (self._id_mask if position < self.base_len else 0)
        return str(UUID(int=(int(self._columns.value("id_hi", position)) << 64) | lo))

    def id_lows(self, at: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
        """The low halves of the ids at positions `at` (the mask undone on base positions)."""
        lows: npt.NDArray[np.uint64] = self._columns.take("id_lo", at)
        if self._id_mask:
            lows = np.where(at < self.base_len, lows ^ np.uint64(self._id_mask), lows)
        return lows

    def record(self, position: int) -> ConsumerRecord:
        if not 0 <= position < self._n:
            raise IndexError(position)
        return self.records([position])[0]

    def records(self, positions: Sequence[int] | npt.NDArray[Any]) -> list[ConsumerRecord]:
        """Records for many positions at once: one fancy-index per column, then plain Python values."""
        idx = np.asarray(positions, dtype=np.int64)
        columns = self._columns
        numbers = {name: columns.take(name, idx).tolist() for name in NUMERIC_COLUMNS if name != "id_lo"}
        numbers["id_lo"] = self.id_lows(idx).tolist()
        at = idx.tolist()
        strings = {name: columns.strings_at(name, at) for name in STRING_COLUMNS}
        return records_from_columns(
            self.organization_id, at, numbers, strings, self.metadata.record, columns.locations
        )

    # ---- writes --------------------------------------------------------------------------------------
    def append(self, **attrs: Any) -> int:
        """Add a consumer (new UUIDv7 id, createdAt now) and return its position."""
        check_attribute_names(attrs)
        email = attrs.get("email")
        if email is not None and self.index_of_email(email) is not None:
            raise Conflict("A consumer with this email already exists")
        columns = self._columns
        position = columns.append_rows(1)  # every column holds its default
        now = to_millis(self._clock.now())
        uid = UUID(self._ids.new()).int
        columns.set("id_hi", position, uid >> 64)
        columns.set("id_lo", position, uid & _LOW_64)
        if self._extra_ids is not None:
            self._extra_ids[uid] = position
        columns.set("created_at", position, now)
        columns.set("updated_at", position, now)
        self._n = position + 1
        self.metadata.resize(self._n)
        self._write(position, attrs, now)
        return position

    def update(self, position: int, **attrs: Any) -> None:
        """Change some attributes of one consumer (updatedAt becomes now)."""
        if not 0 <= position < self._n:
            raise IndexError(position)
        check_attribute_names(attrs)
        email = attrs.get("email")
        if email is not None:
            holder = self.index_of_email(email)
            if holder is not None and holder != position:
                raise Conflict("A consumer with this email already exists")
        if position < self.base_len:
            self._touched.add(position)
        self._write(position, attrs, to_millis(self._clock.now()))

    def append_many(self, rows: Sequence[Mapping[str, Any]]) -> range:
        """Add consumers in one go and return their positions: `append` for each row, in bulk.

        Whole-slice writes and ids drawn in one go (the same ids, in the same order, as one `append` per
        row); every row is checked before anything is written.
        """
        start = self._n
        count = len(rows)
        if not count:
            return range(start, start)
        names: set[str] = set().union(*rows)
        check_attribute_names(names)
        end = start + count
        strings = {name: [row.get(name) for row in rows] for name in STRING_COLUMNS if name in names}
        if "email" in strings:
            emails = strings["email"] = [
                None if v is None else v.strip().casefold() for v in strings["email"]
            ]
            given = [e for e in emails if e]  # the index holds no empty value (see ValueIndex)
            if len(set(given)) != len(given) or self._index("email").holds_any(given):
                raise Conflict("A consumer with this email already exists")
        numbers = {}
        for name in names.difference(STRING_COLUMNS, ("metadata",)):
            offsets = [i for i, row in enumerate(rows) if name in row]
            stored = [rows[i][name] for i in offsets]
            if name in _CONVERTED:
                stored = [self._stored(name, value) for value in stored]
            numbers[ATTRIBUTE_COLUMNS.get(name, name)] = (np.asarray(offsets, dtype=np.int64) + start, stored)
        self.metadata.resize(end)
        if "metadata" in names:
            try:
                self.metadata.fill_new(start, [row.get("metadata") for row in rows])
            except BaseException:  # a value no column can hold: nothing is written
                self.metadata.resize(start)
                raise
        columns = self._columns
        columns.append_rows(count, strings)
        uids = self._ids.new_ints(count)
        new = np.arange(start, end, dtype=np.int64)
        columns.set("id_hi", new, np.fromiter((u >> 64 for u in uids), dtype=np.uint64, count=count))
        columns.set("id_lo", new, np.fromiter((u & _LOW_64 for u in uids), dtype=np.uint64, count=count))
        if self._extra_ids is not None:
            self._extra_ids.update(zip(uids, range(start, end), strict=True))
        now = to_millis(self._clock.now())
        columns.set("created_at", new, now)
        columns.set("updated_at", new, now)
        for column_name, (positions, stored) in numbers.items():
            columns.set(column_name, positions, stored)
        for name in STRING_COLUMNS:
            values = strings.get(name)
            if values is not None:
                self._string_writes[name] = self._string_writes.get(name, 0) + 1
                built = self._built_index(name)
                if built is not None:  # (emails are keyed already: email_key is idempotent)
                    built.add_run(values, start)
        self._n = end
        self.revision += count
        return range(start, end)

    def _write(self, position: int, attrs: Mapping[str, Any], now_ms: int) -> None:
        for name, value in attrs.items():
            if name in STRING_COLUMNS:
                self._set_string(position, name, value)
            elif name == "metadata":
                self.metadata.set_record(position, value)
            else:
                self._columns.set(ATTRIBUTE_COLUMNS.get(name, name), position, self._stored(name, value))
        self._columns.set("updated_at", position, now_ms)
        self.revision += 1
        self.changes.record(position)

    def _stored(self, name: str, value: Any) -> Any:
        """A numeric attribute's value as its column stores it."""
        if name == "location":
            return -1 if value is None else self._columns.location_code(value)
        if name == "last_order_at":
            return MISSING_TIME if value is None else to_millis(value)
        if name == "status":
            return STATUS_ORDER.index(ConsumerStatus(value))
        return value

    def _set_string(self, position: int, name: str, value: str | None) -> None:
        if name == "email" and value is not None:
            value = email_key(value)  # emails are stored case-folded: rules and lookups ignore case
        old = self._columns.string(name, position)
        if old == value:  # (an importer re-sets the identifiers a consumer was matched by)
            return
        self._string_writes[name] = self._string_writes.get(name, 0) + 1
        self._columns.set_string(name, position, value)
        self._text.wrote(name, position)
        index = self._built_index(name)
        if index is not None:
            key = email_key if name == "email" else _same
            if old is not None:
                index.discard(key(old), position)
            if value is not None:
                index.add(key(value), position)

    # ---- snapshot support --------------------------------------------------------------------------
    def export(self, *, deferred: bool = False) -> dict[str, Any]:
        """What changed since generation (JSON): the id generator, the revision, every changed consumer.

        `deferred`: `changed` is a `ChangedRows`, a copy of those consumers' columns taken now (a few
        milliseconds), whose `render()` builds the JSON rows later, from any thread, whatever changes since.
        """
        positions = self._changed_positions()
        at = np.asarray(positions, dtype=np.int64)
        rows = ChangedRows(positions, self._columns, self.id_lows(at), self.metadata)
        changed = rows if deferred else rows.render()
        return {"ids": self._ids.export(), "revision": self.revision, "changed": changed}

    def restore_export(self, data: Mapping[str, Any]) -> None:
        """Replay an `export()` onto a freshly generated table of the same seed."""
        for k, (position, raw) in enumerate(data["changed"]):
            try:
                self._restore_row(position, raw)
            except (KeyError, TypeError, ValueError, IndexError, OverflowError, AttributeError) as problem:
                text = f"missing {problem}" if isinstance(problem, KeyError) else str(problem)
                raise Invalid(text, (Issue(f"consumers.changed.{k}", text),)) from None
        self.revision = data["revision"]
        self._ids.restore_export(data["ids"])

    def _changed_positions(self) -> list[int]:
        """Base positions updated since generation, then every appended position, ascending."""
        return sorted(self._touched) + list(range(self.base_len, self._n))

    def _restore_row(self, position: int, raw: Mapping[str, Any]) -> None:
        """Put back one consumer row of `export` (appending when `position` is the next one)."""
        columns = self._columns
        if position == self._n:
            columns.append_rows(1)
            self._n += 1
            self.metadata.resize(self._n)
        elif position < self.base_len:
            self._touched.add(position)
        self.changes.record(position)
        uid = UUID(raw["id"]).int
        columns.set("id_hi", position, uid >> 64)
        mask = self._id_mask if position < self.base_len else 0
        columns.set("id_lo", position, (uid & _LOW_64) ^ mask)
        if position >= self.base_len:
            self._extra_ids = None  # (made again from the columns when next needed)
        for name in NUMERIC_COLUMNS:
            if name not in ("id_hi", "id_lo", "geo"):
                columns.set(name, position, raw[name])
        loc = raw["location"]
        columns.set("geo", position, -1 if loc is None else columns.location_code(Location(*loc)))
        for name in STRING_COLUMNS:
            self._set_string(position, name, raw[name])
        self.metadata.set_record(position, raw["metadata"])


_LOW_64 = 0xFFFFFFFFFFFFFFFF
#: Attributes whose stored value is not the given one (see `_stored`).
_CONVERTED = frozenset({"location", "last_order_at", "status"})


def email_key(email: str) -> str:
    """How emails are stored and matched: case-folded, so rules and lookups ignore case (an email already
    so is given back as it is: a table holds it once, not once in its column and again in its index)."""
    key = email.strip().casefold()
    return email if key == email else key


def _same(value: str) -> str:
    return value

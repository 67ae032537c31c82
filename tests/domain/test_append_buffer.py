"""Bulk appends: the batched import path gives exactly what one append per row gives.

The importer holds new consumers back and appends them in batches when its directory can (the
Organization's ConsumerTable can); these tests run the same files both ways and compare everything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.domain.consumers import ConsumerTable, empty_columns
from mock_server.domain.imports import (
    AppendBuffer,
    BulkDirectory,
    ImportOutcome,
    MemoryDirectory,
    MemorySink,
    importer,
    run_import,
)
from mock_server.domain.kernel import Clock, Conflict, IdFactory
from mock_server.domain.world import Organization


class OneByOne:
    """The table without its bulk form: the importer then appends one row at a time (the reference)."""

    def __init__(self, table: ConsumerTable) -> None:
        self._table = table

    def index_of_email(self, email: str) -> int | None:
        return self._table.index_of_email(email)

    def index_of_phone(self, phone: str) -> int | None:
        return self._table.index_of_phone(phone)

    def index_of_external_id(self, external_id: str) -> int | None:
        return self._table.index_of_external_id(external_id)

    def metadata_of(self, position: int) -> Mapping[str, Any] | None:
        return self._table.metadata_of(position)

    def append(self, **attrs: Any) -> int:
        return self._table.append(**attrs)

    def update(self, position: int, **attrs: Any) -> None:
        self._table.update(position, **attrs)


EXISTING: tuple[dict[str, Any], ...] = (
    {"email": "a0@x.io", "phone": "+15550000000", "external_id": None, "metadata": {"keep": 1}},
    {"email": "a1@x.io", "phone": None, "external_id": "e1"},
    {"email": None, "phone": "+15550000002", "external_id": "e2", "metadata": {"tags": ["old"]}},
)


def org_with_existing() -> Organization:
    clock = Clock()
    table = ConsumerTable("org-test", clock, IdFactory(clock, "consumers"), empty_columns())
    for attrs in EXISTING:
        table.append(**attrs)
    return Organization("org-test", clock, IdFactory(clock, "org"), table, actor="apikey_test")


def table_state(table: ConsumerTable) -> list[dict[str, Any]]:
    """Every stored value of every consumer, metadata key order included, as snapshots see them."""
    rows = dict(table.export()["changed"])  # every consumer: the table started empty
    out = []
    for position in range(len(table)):
        raw = rows[position]
        raw["metadata_keys"] = list(raw["metadata"] or ())
        out.append(raw)
    return out


def lookups(table: ConsumerTable, file: bytes) -> list[int | None]:
    """Every identifier of the file looked up afterwards (the indexes must agree too)."""
    found: list[int | None] = []
    for token in file.decode("utf-8", "replace").replace("\n", ",").split(","):
        token = token.strip()
        found += [table.index_of_email(token), table.index_of_phone(token), table.index_of_external_id(token)]
    return found


def import_both_ways(
    file: bytes, batch: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[ImportOutcome, Organization, MemorySink], tuple[ImportOutcome, Organization, MemorySink]]:
    monkeypatch.setattr(importer, "MEMBER_BATCH", batch)
    runs = []
    for bulk in (True, False):
        org = org_with_existing()
        directory: Any = org.consumers if bulk else OneByOne(org.consumers)
        assert isinstance(directory, BulkDirectory) is bulk
        sink = MemorySink()
        runs.append((run_import(lambda: [file], directory, sink), org, sink))
    return runs[0], runs[1]


def assert_same(file: bytes, batch: int, monkeypatch: pytest.MonkeyPatch) -> ImportOutcome:
    (bulk, bulk_org, bulk_sink), (one, one_org, one_sink) = import_both_ways(file, batch, monkeypatch)
    assert bulk == one
    assert bulk_sink.members == one_sink.members
    assert table_state(bulk_org.consumers) == table_state(one_org.consumers)
    assert lookups(bulk_org.consumers, file) == lookups(one_org.consumers, file)
    # and the plain in-memory directory (no table, no buffer) reaches the same outcome
    memory = MemoryDirectory()
    for attrs in EXISTING:
        memory.append(**attrs)
    assert run_import(lambda: [file], memory, MemorySink()) == bulk
    return bulk


# Few distinct identifiers, so rows collide with each other and with EXISTING in every way.
EMAILS = st.sampled_from(["", "a0@x.io", "A1@X.io", "b@x.io", "c@x.io", "d@x.io", "bad@", " b@x.io "])
PHONES = st.sampled_from(["", "+15550000000", "+15550000002", "+1 555 000 0003", "+15550000004", "+12"])
EXTERNAL = st.sampled_from(["", "e1", "e2", "e3", "e4"])
NAMES = st.sampled_from(["", "Ada", "Bob"])
METADATA = st.sampled_from(
    [
        "",
        "{oops",
        '"{""tier"": ""b""}"',
        '"{""keep"": 2, ""n"": [1, 2]}"',
        '"{""tags"": [""x""], ""z"": true}"',
    ]
)
ROW = st.tuples(EMAILS, PHONES, EXTERNAL, NAMES, NAMES, st.sampled_from(["", "3", "x"]), METADATA)


def csv_file(rows: Sequence[tuple[str, ...]]) -> bytes:
    lines = ["email,phone,externalId,firstName,fullName,loyaltyPoints,metadata"]
    lines += [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=25), batch=st.sampled_from([1, 2, 3, 5, 1024]))
def test_batched_appends_import_exactly_like_one_append_per_row(
    rows: list[tuple[str, ...]], batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = assert_same(csv_file(rows), batch, monkeypatch)
    blank = sum(1 for row in rows if not any(row))  # skipped, not counted
    assert outcome.processed + len(outcome.errors) == outcome.total_rows == len(rows) - blank


@pytest.mark.parametrize("batch", [1, 2, 1024])
def test_a_row_matching_a_held_back_consumer_updates_it(batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    file = csv_file(
        [
            ("n@x.io", "+15550000009", "", "Ada", "", "1", '"{""a"": 1}"'),
            ("", "+15550000009", "e9", "", "New name", "", '"{""b"": 2}"'),  # by phone: adds e9
            ("", "", "e9", "", "", "7", ""),  # by the external id it just got
            ("m@x.io", "", "", "", "", "", ""),  # a second new consumer
            ("M@x.io", "+15550000009", "", "", "", "", ""),  # matched by email: the phone is not stolen
        ]
    )
    outcome = assert_same(file, batch, monkeypatch)
    assert (outcome.created, outcome.updated) == (2, 3)


def test_append_many_matches_appends_one_by_one() -> None:
    rows: list[dict[str, Any]] = [
        {"email": "X@Y.io", "phone": "+15550000001", "full_name": "X", "metadata": {"k": "v", "t": ["a"]}},
        {"external_id": "e", "loyalty_balance": 5, "status": "INACTIVE", "metadata": None},
        {"email": "z@y.io", "total_orders": 3, "metadata": {"t": ["a"], "k": 1, "b": True}},
        {},
    ]
    tables = []
    for bulk in (True, False):
        clock = Clock()
        table = ConsumerTable("org-test", clock, IdFactory(clock, "consumers"), empty_columns())
        table.index_of_email("built@first.io")  # indexes built before the appends must follow them
        if bulk:
            assert table.append_many(rows) == range(0, 4)
        else:
            assert [table.append(**row) for row in rows] == [0, 1, 2, 3]
        tables.append(table)
    assert table_state(tables[0]) == table_state(tables[1])
    assert tables[0].index_of_email("x@y.io") == 0 and tables[0].index_of_email("z@y.io") == 2
    assert tables[0].revision >= len(rows)


def test_append_many_refuses_a_taken_email_and_writes_nothing() -> None:
    clock = Clock()
    table = ConsumerTable("org-test", clock, IdFactory(clock, "consumers"), empty_columns())
    table.append(email="taken@x.io")
    before = table_state(table)
    with pytest.raises(Conflict):
        table.append_many([{"email": "free@x.io"}, {"email": "TAKEN@x.io"}])
    with pytest.raises(Conflict):
        table.append_many([{"email": "same@x.io"}, {"email": "same@x.io"}])
    with pytest.raises(TypeError):  # metadata values are scalars or arrays of scalars
        table.append_many([{"email": "free@x.io", "metadata": {"a": 1}}, {"metadata": {"b": {"c": 1}}}])
    assert table_state(table) == before and table.metadata.keys() == []
    assert table.index_of_email("free@x.io") is None


def test_the_buffer_answers_lookups_for_consumers_not_yet_written() -> None:
    org = org_with_existing()
    buffer = AppendBuffer(org.consumers, limit=10)
    position = buffer.append(email="New@x.io", phone="+15550000099", external_id="e99", metadata={"a": 1})
    assert position == len(EXISTING) and len(org.consumers) == len(EXISTING) and buffer.pending == 1
    assert buffer.index_of_email("new@X.IO") == position
    assert buffer.index_of_phone("+15550000099") == buffer.index_of_external_id("e99") == position
    assert buffer.metadata_of(position) == {"a": 1}
    buffer.update(position, email="renamed@x.io", metadata={"a": 2})
    assert buffer.index_of_email("new@x.io") is None and buffer.index_of_email("renamed@x.io") == position
    buffer.flush()
    assert buffer.pending == 0 and org.consumers.index_of_email("renamed@x.io") == position
    assert org.consumers.metadata_of(position) == {"a": 2}


def test_the_json_shortcut_accepts_exactly_what_json_loads_accepts() -> None:
    from mock_server.domain.imports.csv_rows import _json_object

    samples = ["{}", '{"a": 1}', "[1]", '{"a": 1} x', "{", "NaN", '{"a": NaN}', "\ufeff{}", '{"a":1}}', "1"]
    for text in samples:
        try:
            expected = json.loads(text)
        except ValueError:
            expected = None
        assert _json_object(text) == (expected if isinstance(expected, dict) else None), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]":,0123456789.eE+-atrufnlsNIy \\x', max_size=20).map(str.strip).filter(bool))
def test_the_json_shortcut_agrees_with_json_loads_on_any_text(text: str) -> None:
    from mock_server.domain.imports.csv_rows import _json_object

    try:
        expected = json.loads(text)
    except ValueError:
        expected = None
    assert repr(_json_object(text)) == repr(expected if isinstance(expected, dict) else None)

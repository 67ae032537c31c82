"""The consumer table: lookups the importer needs, appends and updates, copy-on-write bases, records."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

import numpy as np
import pytest

from mock_server.domain.consumers import ConsumerTable, aov_cents, cents_text, score_rank, to_cents
from mock_server.domain.kernel import Clock, Conflict, IdFactory
from mock_server.domain.world import Organization
from mock_server.seeding import generate_columns


def test_lookups_by_id_email_phone_external_id(org: Organization) -> None:
    table = org.consumers
    record = table.record(42)
    assert table.index_of_id(record.id) == 42
    assert table.index_of_id("not-a-uuid") is None and table.index_of_id(record.id[:-1] + "0") in (None, 42)
    assert table.index_of_email(record.email.upper()) == 42  # type: ignore[union-attr]
    assert table.index_of_email("nobody@nowhere.test") is None
    phone = next(i for i in range(100) if table.record(i).phone)
    assert table.index_of_phone(table.record(phone).phone) == phone  # type: ignore[arg-type]
    external = next(i for i in range(100) if table.record(i).external_id)
    assert table.index_of_external_id(table.record(external).external_id) == external  # type: ignore[arg-type]


def test_append_and_update_keep_indexes_current(org: Organization) -> None:
    table = org.consumers
    table.index_of_email("x@y.z")  # build the index first
    org.clock.advance(10)
    position = table.append(
        email="Fresh@Example.com", phone="+15551234567", external_id="e-1", total_orders=2
    )
    assert position == len(table) - 1 and table.index_of_email("fresh@example.com") == position
    record = table.record(position)
    assert record.email == "fresh@example.com" and record.created_at == org.clock.now()
    assert table.index_of_id(record.id) == position
    with pytest.raises(Conflict):
        table.append(email="FRESH@example.com")
    with pytest.raises(Conflict):
        table.update(0, email="fresh@example.com")
    table.update(position, email="moved@example.com", phone=None)
    assert table.index_of_email("fresh@example.com") is None
    assert table.index_of_email("moved@example.com") == position
    assert table.index_of_phone("+15551234567") is None
    table.update(1, external_id="e-1")
    table.update(2, external_id="e-1")
    assert table.index_of_external_id("e-1") == 1  # the lowest holder of a shared value
    table.update(1, external_id=None)
    assert table.index_of_external_id("e-1") == 2
    with pytest.raises(TypeError):
        table.update(0, favourite_colour="blue")


def test_updates_never_touch_the_shared_seeded_base() -> None:
    clock = Clock()
    base = generate_columns(1, 500)
    before = base.numeric["total_orders"].copy(), list(base.strings["email"])
    first = ConsumerTable("org", clock, IdFactory(clock, 1), base)
    first.update(0, total_orders=777, email="changed@example.com", metadata={"vip": True})
    first.append(email="new@example.com")
    second = ConsumerTable("org", clock, IdFactory(clock, 1), base)
    assert np.array_equal(base.numeric["total_orders"], before[0]) and base.strings["email"] == before[1]
    assert second.record(0).total_orders == before[0][0] and len(second) == 500


def test_money_and_rank_conventions() -> None:
    assert to_cents("2500") == 250_000 and to_cents(0.105) == 11 and to_cents("19.995") == 2000
    assert cents_text(250_000) == "2500.00" and cents_text(5) == "0.05"
    assert aov_cents(1000, 3) == 333 and aov_cents(1001, 2) == 501 and aov_cents(5, 0) == 0
    assert [score_rank(s) for s in (0, 1, 20, 21, 99, 100)] == [0, 1, 1, 2, 5, 5]


def test_records_render_the_union_of_both_styles(org: Organization) -> None:
    record = org.consumers.record(7)
    assert record.total_order_value == record.ltv_cents / 100
    assert record.ltv == cents_text(record.ltv_cents) and record.aov == cents_text(record.aov_cents)
    assert record.created_at <= datetime(2025, 1, 1, tzinfo=UTC) and record.organization_id == org.id
    assert record.status.value in ("ACTIVE", "INACTIVE") and 0 <= record.activity_rank <= 5
    assert org.consumers.records([7, 3]) == [record, org.consumers.record(3)]


def test_a_few_changes_to_a_shared_base_copy_only_what_they_write() -> None:
    """An organization's first appends and edits cost what they add (the appended rows, a copy of each
    written column), never a copy of every column of the seed's base (about 1.7 MB at 20,000 rows)."""
    base = generate_columns(3, 20_000)
    clock = Clock()
    table = ConsumerTable("org", clock, IdFactory(clock, 1), base)
    table.index_of_email("x@example.com")  # the seed's email index, built once for every organization
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(10):
            table.append(email=f"new{i}@example.com", total_orders=i, metadata={"vip": True})
        table.update(5, total_orders=3)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # total_orders' and updated_at's heads (80 + 160 KB), vip's codes (120 KB) and the appended rows; a copy
    # of every column is over 3 MB
    assert held < 800_000, held
    assert table.record(5).total_orders == 3 and table.record(20_003).total_orders == 3
    assert table.record(20_009).metadata == {"vip": True} and table.record(
        5
    ).metadata == base.metadata.record(5)


def test_head_and_tail_read_as_one_table() -> None:
    """Reads across the shared head and the appended tail, after writes to both (and a snapshot of them)."""
    base = generate_columns(4, 300)
    clock = Clock()
    table = ConsumerTable("org", clock, IdFactory(clock, 1), base, id_mask=12345)
    appended = table.append_many([{"email": f"t{i}@x.io", "total_orders": i} for i in range(100)])
    table.update(3, total_orders=9, phone="+15550001111", metadata={"k": 1})
    table.update(appended[7], total_orders=70, full_name="Tail Seven")
    orders = table.column("total_orders")
    assert len(orders) == 400 and orders[3] == 9 and orders[307] == 70 and orders[399] == 99
    assert (
        orders[4] == base.numeric["total_orders"][4] and table.strings("email")[:300] == base.strings["email"]
    )
    assert table.strings("phone")[3] == "+15550001111" and table.strings("email")[350] == "t50@x.io"
    assert table.strings("full_name")[307] == "Tail Seven" and base.strings["full_name"][3] != "Tail Seven"
    records = table.records([3, 307, 0, 399])
    assert [r.total_orders for r in records] == [9, 70, int(base.numeric["total_orders"][0]), 99]
    assert records[1].full_name == "Tail Seven" and records[0].metadata == {"k": 1}
    for record in records:
        assert table.index_of_id(record.id) == record.position and table.id_of(record.position) == record.id
    assert table.metadata.column("k") is not None and len(table.metadata.column("k")[0]) == 400  # type: ignore[index]
    again = ConsumerTable("org", clock, IdFactory(clock, 1), base, id_mask=12345)
    again.restore_export(table.export())
    assert again.export() == table.export() and len(again) == 400
    for record in records:  # the appended ids, looked up in a table that never saw them appended
        assert again.index_of_id(record.id) == record.position


def test_a_large_tables_joined_columns_follow_every_write() -> None:
    """From 16,384 consumers the joined head + tail columns are kept between reads: writes to head and
    tail show in them, and an append makes them anew."""
    base = generate_columns(5, 16_400)
    clock = Clock()
    table = ConsumerTable("org", clock, IdFactory(clock, 1), base)
    table.append(email="one@x.io", total_orders=1)
    assert table.column("total_orders")[-1] == 1 and table.strings("email")[-1] == "one@x.io"
    table.update(7, total_orders=70, email="seven@x.io")
    table.update(16_400, total_orders=2, email="tail@x.io")
    orders, emails = table.column("total_orders"), table.strings("email")
    assert orders[7] == 70 and orders[16_400] == 2 and emails[7] == "seven@x.io" and emails[-1] == "tail@x.io"
    table.append_many([{"email": "two@x.io", "total_orders": 3}])
    assert table.column("total_orders")[-2:].tolist() == [2, 3] and table.strings("email")[-1] == "two@x.io"
    assert base.numeric["total_orders"][7] != 70 or base.strings["email"][7] != "seven@x.io"

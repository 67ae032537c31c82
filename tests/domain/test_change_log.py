"""The table's log of positions changed in place: what a reader that kept a mark has to look at again."""

from __future__ import annotations

from mock_server.domain.consumers import ConsumerTable
from mock_server.domain.consumers.change_log import ChangeLog
from mock_server.domain.kernel import Clock, IdFactory
from mock_server.seeding import generate_columns


def test_a_reader_gets_the_distinct_positions_changed_since_its_mark() -> None:
    log = ChangeLog()
    log.record(5)
    mark = log.mark
    for position in (9, 2, 9, 9, 2):
        log.record(position)
    assert log.since(mark).tolist() == [2, 9] and log.since(0).tolist() == [2, 5, 9]  # type: ignore[union-attr]
    assert log.since(log.mark).tolist() == []  # type: ignore[union-attr]


def test_a_mark_that_fell_off_the_log_asks_for_everything() -> None:
    log = ChangeLog(kept=4)
    for position in range(6):
        log.record(position)
    assert log.since(0) is None
    assert log.since(log.mark - 1).tolist() == [5]  # type: ignore[union-attr]


def test_updates_and_restored_rows_are_logged() -> None:
    clock = Clock()
    table = ConsumerTable("org", clock, IdFactory(clock, 1), generate_columns(2, 50))
    mark = table.changes.mark
    table.append_many([{"email": "new@example.com"}])  # an append: the reader knows the length it saw
    table.update(7, total_orders=3)
    table.update(50, full_name="New")
    assert table.changes.since(mark).tolist() == [7, 50]  # type: ignore[union-attr]
    copy = ConsumerTable("org", clock, IdFactory(clock, 1), generate_columns(2, 50))
    copy.restore_export(table.export())
    assert copy.changes.since(0).tolist() == [7, 50]  # type: ignore[union-attr]


def test_a_write_repeated_after_a_mark_is_seen_from_it() -> None:
    log = ChangeLog()
    log.record(4)
    mark = log.mark
    log.record(4)
    assert log.since(mark).tolist() == [4]  # type: ignore[union-attr]

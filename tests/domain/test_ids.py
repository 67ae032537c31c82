"""Ids: UUIDv7, strictly increasing under a frozen clock, and the same drawn one by one or in bulk."""

from __future__ import annotations

from uuid import UUID

from mock_server.domain.kernel import Clock, IdFactory


def test_ids_are_version_7_and_strictly_increasing_under_a_frozen_clock() -> None:
    ids = IdFactory(Clock(), "seed")
    values = [UUID(ids.new()) for _ in range(50)]
    assert all(v.version == 7 and v.variant == "specified in RFC 4122" for v in values)
    assert [v.int for v in values] == sorted({v.int for v in values})


def test_bulk_ids_are_the_ids_one_by_one_would_give() -> None:
    clock = Clock()
    one, bulk = IdFactory(clock, "seed"), IdFactory(clock, "seed")
    singles = [UUID(one.new()).int for _ in range(40)]
    assert [*bulk.new_ints(15), UUID(bulk.new()).int, *bulk.new_ints(24)] == singles
    assert one.state() == bulk.state()

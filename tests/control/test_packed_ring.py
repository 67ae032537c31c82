"""The journal's packed ring: what it keeps is always the newest records, in order, exactly as they were
appended, within its capacity and its bytes; evicted pages go back to the system."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.control import packed_ring
from mock_server.control.packed_ring import PackedRing

START = datetime(2025, 1, 1, tzinfo=UTC)


def _record(n: int, body: int = 0) -> tuple[object, ...]:
    return (
        f"req_{n:06d}",
        START + timedelta(microseconds=n * 1_000_001),
        1_700_000_000.5 + n,
        "POST",
        "/api/v1/audiences",
        b"limit=5",
        "postV1Audiences",
        "v1",
        ("sk_test_…abcd", 1909453413907310885),
        201,
        "ok",
        0.25,
        {"by": "fault", "ruleId": n} if n % 3 == 0 else None,
        0,
        ((b"content-type", b"application/json"),),
        ("application/json", body, b"x" * body, False, None) if body else None,
        (("allow", "GET"),),
        ("application/json", 2, b"{}"),
    )


def test_records_come_back_equal_and_in_order() -> None:
    ring = PackedRing(10)
    appended = [_record(n, body=n * 7) for n in range(25)]
    evictions = [ring.append(record) for record in appended]
    assert len(ring) == 10
    assert list(ring.records()) == appended[-10:]
    assert evictions == [False] * 10 + [True] * 15
    assert ring[0] == appended[15] and ring[9] == appended[24]
    assert ring[0][1].tzinfo is UTC


def test_clear_keeps_nothing_and_the_ring_fills_again() -> None:
    ring = PackedRing(3)
    for n in range(5):
        ring.append(_record(n))
    ring.clear()
    assert len(ring) == 0 and list(ring.records()) == []
    ring.append(_record(9))
    assert list(ring.records()) == [_record(9)]


def test_a_record_larger_than_the_map_is_given_up_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packed_ring, "BYTES_PER_RECORD", 1)
    ring = PackedRing(2)  # one page of bytes
    ring.append(_record(1))
    assert ring.append(_record(2, body=100_000)) is True
    assert list(ring.records()) == [_record(1)]


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(min_value=1, max_value=40),
    bodies=st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=300),
    clear_at=st.integers(min_value=-1, max_value=300),
)
def test_the_kept_records_are_always_the_newest(capacity: int, bodies: list[int], clear_at: int) -> None:
    # a map of a few pages, so that the bytes, not only the count, decide what is given up, and the ring
    # wraps around its end many times
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(packed_ring, "BYTES_PER_RECORD", 400)
        ring = PackedRing(capacity)
    appended: list[tuple[object, ...]] = []
    for n, body in enumerate(bodies):
        if n == clear_at:
            ring.clear()
            appended.clear()
        record = _record(n, body)
        ring.append(record)
        appended.append(record)
        kept = list(ring.records())
        assert len(kept) == len(ring) <= capacity
        assert kept == appended[len(appended) - len(kept) :]  # a suffix: the newest, in order
        assert kept[-1] == record  # a record that fits in the map is always kept


def test_evicted_pages_are_handed_back(monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[tuple[int, int]] = []
    ring = PackedRing(50)
    monkeypatch.setattr(ring, "_give_back", lambda start, end: released.append((start, end)))
    for n in range(2_000):
        ring.append(_record(n, body=3000))
    # the ring went round its map; what the oldest left behind was handed back in steps as it went
    assert len(released) > 10
    assert all(end - start >= packed_ring.RELEASE_STEP or end == ring._size for start, end in released)
    assert list(ring.records()) == [_record(n, body=3000) for n in range(1_950, 2_000)]

"""The identifier index: the lowest holder answers, shared values are kept, bulk forms match single ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.domain.consumers import ValueIndex

VALUES = st.lists(st.sampled_from([None, "", "a", "b", "c", "d"]), max_size=12)


def state(index: ValueIndex) -> dict[str, int | None]:
    return {v: index.first(v) for v in "abcd"}


@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES)
def test_add_run_is_add_one_by_one(before: list[str | None], run: list[str | None]) -> None:
    bulk, single = ValueIndex.build(before), ValueIndex.build(before)
    bulk.add_run(run, len(before))
    for offset, value in enumerate(run):
        if value is not None:
            single.add(value, len(before) + offset)
    assert state(bulk) == state(single)
    for value in "abcd":  # and the holders agree when the first one goes
        holder = bulk.first(value)
        if holder is not None:
            bulk.discard(value, holder)
            single.discard(value, holder)
    assert state(bulk) == state(single)


@settings(max_examples=200, deadline=None)
@given(VALUES, st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=4))
def test_holds_any_is_any_first(values: list[str | None], probe: list[str]) -> None:
    index = ValueIndex.build(values)
    assert index.holds_any(probe) == any(index.first(v) is not None for v in probe)

"""The identifier index: the lowest holder answers, shared values are kept, bulk forms match single ones."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.domain.consumers import ValueIndex, value_index
from mock_server.domain.consumers.value_index import LayeredIndex

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


OPS = st.lists(
    st.tuples(st.booleans(), st.integers(0, 30), st.sampled_from([None, "", "a", "b", "c", "d"])), max_size=25
)


@settings(max_examples=300, deadline=None)
@given(VALUES, OPS, st.sampled_from([0, 2, 512]))
def test_a_layer_reads_as_an_index_of_the_whole_column(
    base: list[str | None], ops: list[tuple[bool, int, str | None]], scanned: int
) -> None:
    """A table's layer over the shared index, its appended values searched in the live tail while few
    (and indexed once past `SCANNED`), answers as an index built over the column as it is now."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(value_index, "SCANNED", scanned)
        tail: list[str | None] = []
        layer = LayeredIndex(ValueIndex.build(base), len(base), tail)
        column = list(base)
        for append, at, value in ops:
            if append or not column:  # the table writes the value first, then tells the index
                tail.append(value)
                column.append(value)
                layer.add_run([value], len(column) - 1)
                continue
            position = at % len(column)
            old = column[position]
            column[position] = value
            if position >= len(base):
                tail[position - len(base)] = value
            if old is not None:
                layer.discard(old, position)
            if value is not None:
                layer.add(value, position)
            whole = ValueIndex.build(column)
            assert state(layer) == state(whole)
            assert all(layer.holds_any([v]) == whole.holds_any([v]) for v in "abcde")
        assert state(layer) == state(ValueIndex.build(column))

"""Member sets: adding merges into the sorted, duplicate-free positions and counts only the new ones."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.domain.audiences import MemberSet, as_positions

POSITIONS = st.lists(st.integers(0, 60), max_size=40).map(as_positions)


@settings(max_examples=300, deadline=None)
@given(POSITIONS, POSITIONS)
def test_add_is_a_union_and_counts_what_was_new(before: np.ndarray, added: np.ndarray) -> None:
    members = MemberSet(before)
    revision = members.revision
    assert members.add(added) == len(np.setdiff1d(added, before))
    assert np.array_equal(members.positions, np.union1d(before, added))
    assert members.positions.dtype == np.int64 and members.revision == revision + 1
    assert np.array_equal(MemberSet(before).positions, before)  # the old array is not changed in place

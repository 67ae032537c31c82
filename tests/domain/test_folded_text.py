"""Folded text kept up to date in parts (the shared base, appended chunks, rewritten base rows) answers every
CONTAINS exactly as a fold of the whole column made now would, and a change refolds no shared part."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.domain.consumers import ConsumerTable, folded_text
from mock_server.domain.consumers.folded_text import Fold
from mock_server.domain.kernel import Clock, IdFactory
from mock_server.seeding import generate_columns

BASE = generate_columns(3, 40)  # shared by every example, as a seed's base is by every organization
WORDS = st.text(alphabet="aAbß SSİi@.1", min_size=0, max_size=6)
NEEDLES = st.text(alphabet="abß si@.1", min_size=1, max_size=3).map(str.casefold)
COLUMNS = st.sampled_from(["email", "full_name", "phone"])


def naive(strings: list[str | None], needle: str, lo: int, hi: int) -> list[bool]:
    return [needle in (s or "").casefold() for s in strings[lo:hi]]


@st.composite
def changes(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """Appends (in bulk or one at a time) and rewrites of base or appended rows, in any order."""
    steps: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["append_many", "append", "update"]))
        if kind == "update":
            steps.append(
                (kind, (draw(st.integers(0, 10**6)), draw(COLUMNS), draw(st.one_of(st.none(), WORDS))))
            )
        elif kind == "append":
            steps.append((kind, draw(st.one_of(st.none(), WORDS))))
        else:
            steps.append((kind, draw(st.lists(st.one_of(st.none(), WORDS), max_size=9))))
    return steps


def apply(table: ConsumerTable, steps: list[tuple[str, Any]], counter: list[int]) -> None:
    for kind, what in steps:
        counter[0] += 1
        unique = f"u{counter[0]}"  # emails are unique: make every written one so
        if kind == "append_many":
            table.append_many([{"full_name": w, "email": f"{w}{unique}-{i}"} for i, w in enumerate(what)])
        elif kind == "append":
            table.append(full_name=what, phone=what)
        else:
            position, name, value = what
            if name == "email" and value is not None:
                value = f"{value}{unique}"
            table.update(position % len(table), **{name: value})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=changes(),
    asks=st.lists(
        st.tuples(COLUMNS, NEEDLES, st.integers(0, 80), st.integers(0, 80)), min_size=1, max_size=6
    ),
    interleave=st.booleans(),
)
def test_contains_equals_a_fold_of_the_whole_column_now(
    steps: list[tuple[str, Any]], asks: list[tuple[str, str, int, int]], interleave: bool
) -> None:
    clock = Clock()
    table = ConsumerTable("org", clock, IdFactory(clock, 1), BASE, id_mask=5)
    counter = [0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(folded_text, "CHUNK", 4)  # appended rows span several chunks
        if interleave:  # folds cached before some of the changes, then caught up
            for name, needle, _, _ in asks:
                table.contains(name, needle)
            apply(table, steps[: len(steps) // 2], counter)
            steps = steps[len(steps) // 2 :]
        apply(table, steps, counter)
        for name, needle, a, b in asks:
            lo, hi = sorted((a % (len(table) + 1), b % (len(table) + 1)))
            strings = table.strings(name)
            assert table.contains(name, needle, lo, hi).tolist() == naive(strings, needle, lo, hi)
            assert table.contains(name, needle).tolist() == naive(strings, needle, 0, len(table))


def test_the_base_fold_is_built_once_and_never_refolded_by_a_change() -> None:
    base = generate_columns(4, 200)
    clock = Clock()
    first = ConsumerTable("a", clock, IdFactory(clock, 1), base)
    first.contains("email", "a")
    shared = base.lookups[("fold", "email")]
    first.update(3, email="zzz-new@example.com")
    first.append_many([{"email": "another@example.com"}])
    assert first.contains("email", "zzz-new").tolist() == [i == 3 for i in range(201)]
    second = ConsumerTable("b", clock, IdFactory(clock, 2), base)
    assert not second.contains("email", "zzz-new").any()
    assert base.lookups[("fold", "email")] is shared  # the shared fold still holds the generated base


def test_a_fold_finds_a_needle_only_inside_a_row() -> None:
    fold = Fold(["ab", None, "", "Straße", "cab"])
    assert sorted(set(fold.matching(b"ab", 0, 5).tolist())) == [0, 4]
    assert fold.matching(b"bs", 0, 5).tolist() == []  # never across the NUL between two rows
    assert sorted(set(fold.matching(b"ss", 0, 5).tolist())) == [3]
    assert fold.matching(b"ab", 1, 4).tolist() == [] and len(Fold([])) == 0
    assert np.array_equal(Fold(["x"]).matching(b"x", 0, 1), [0])

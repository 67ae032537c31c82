"""Materialized rule sets caught up from the rows changed since (or in slices) equal a full evaluation of
the rules over the table as it is now."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.domain.audiences import Predicate, RuleInput, build_rules, compile_rules
from mock_server.domain.consumers import ConsumerTable
from mock_server.domain.kernel import Clock, Conflict, IdFactory
from mock_server.domain.world import materializer
from mock_server.domain.world.materializer import Materializer
from tests.domain.conftest import make_table
from tests.domain.test_predicate_property import consumer_rows, rule_sets

MEANING = frozenset({frozenset({("any",)})})
RELAXED = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


@st.composite
def changes(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """Batches of appends and of updates (an update names a position modulo the table's length)."""
    batches: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            batches.append(("append", draw(consumer_rows())))
        else:
            batches.append(("update", [(draw(st.integers(0, 99)), row) for row in draw(consumer_rows())]))
    return batches


def apply(table: ConsumerTable, kind: str, what: Any) -> None:
    try:
        if kind == "append":
            table.append_many(what)
        else:
            for position, row in what:
                table.update(position % len(table), **row)
    except Conflict:  # (an email already held: nothing of that write happened)
        pass


def full(table: ConsumerTable, rules: list[RuleInput]) -> list[int]:
    built = build_rules(rules, "aud", IdFactory(Clock(), 1))
    return np.flatnonzero(compile_rules(built)(table)).tolist()


def materialized(
    rows: list[dict[str, Any]], rules: list[RuleInput]
) -> tuple[ConsumerTable, Predicate, Materializer]:
    table = make_table(rows, Clock())
    return table, compile_rules(build_rules(rules, "aud", IdFactory(Clock(), 1))), Materializer(table)


@RELAXED
@given(rows=consumer_rows(), rules=rule_sets(), batches=changes(), tiny=st.booleans(), whole=st.booleans())
def test_a_caught_up_set_equals_a_full_evaluation(
    rows: list[dict[str, Any]],
    rules: list[RuleInput],
    batches: list[tuple[str, Any]],
    tiny: bool,
    whole: bool,
) -> None:
    table, predicate, sets = materialized(rows, rules)
    with pytest.MonkeyPatch.context() as patch:
        if tiny:  # slices of a row or two
            patch.setattr(materializer, "MIN_SLICE", 1)
            patch.setattr(materializer, "SLICE_WORK", 2)
        if whole:  # no catch-up: a full pass after every change
            patch.setattr(materializer, "DELTA_FLOOR", 0)
            patch.setattr(materializer, "DELTA_SHARE", 0.0)
        assert sets.matching(MEANING, lambda: predicate, len(rules)).tolist() == full(table, rules)
        for kind, what in batches:
            apply(table, kind, what)
            got = sets.matching(MEANING, lambda: predicate, len(rules))
            assert got.tolist() == full(table, rules) and not got.flags.writeable


@RELAXED
@given(rows=consumer_rows(), rules=rule_sets(), batches=changes(), after=st.integers(0, 5))
def test_changes_between_slices_are_caught_up_by_the_next_read(
    rows: list[dict[str, Any]], rules: list[RuleInput], batches: list[tuple[str, Any]], after: int
) -> None:
    table, predicate, sets = materialized(rows, rules)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(materializer, "MIN_SLICE", 1)
        patch.setattr(materializer, "SLICE_WORK", 1)
        if after % 2:
            sets.matching(MEANING, lambda: predicate, len(rules))  # a known set to catch up from
        steps = sets.steps(MEANING, lambda: predicate, len(rules))
        for _ in range(after):
            next(steps, None)
        for kind, what in batches:  # the table changes while the slices are under way
            apply(table, kind, what)
        for _ in steps:
            pass
        assert sets.matching(MEANING, lambda: predicate, len(rules)).tolist() == full(table, rules)


def test_a_read_after_an_append_evaluates_only_the_new_rows() -> None:
    clock = Clock()
    table = make_table([{"email": f"a{i}@x.example", "total_orders": i % 7} for i in range(50)], clock)
    rules = [RuleInput("totalOrders", "GREATER_THAN_OR_EQUAL", (5,))]
    built = build_rules(rules, "aud", IdFactory(clock, 1))
    seen: list[int] = []
    inner = compile_rules(built)

    def counting(rows: Any) -> Any:
        seen.append(len(rows))
        return inner(rows)

    sets = Materializer(table)
    sets.matching(MEANING, lambda: counting, 1)
    table.append_many([{"total_orders": 9}, {"total_orders": 1}])
    table.update(3, total_orders=6)
    assert sets.matching(MEANING, lambda: counting, 1).tolist() == full(table, rules)
    assert seen == [50, 1, 2]  # the whole table once; then the changed row and the two appended


def test_a_slice_slower_than_planned_makes_the_next_smaller_never_larger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]
    monkeypatch.setattr(materializer.time, "perf_counter", lambda: now[0])
    pace = materializer._Pace(8000)
    for spent, step in ((0.005, 8000), (0.040, 2000), (0.001, 2000), (10.0, materializer.MIN_SLICE)):
        pace.begin()
        now[0] += spent
        pace.took()
        assert pace.step == step

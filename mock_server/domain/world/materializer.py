"""Rule sets materialized over one consumer table, shared by meaning and kept current incrementally.

A materialized set remembers the table's length and change-log mark when it was computed; catching up
evaluates the rules over only the rows appended or changed since (a full pass when they are many), and a
full pass can run in slices that a caller interleaves with other work (each `next()` one slice).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from mock_server.domain.audiences import Positions, Predicate
from mock_server.domain.consumers import ConsumerTable, RowsView
from mock_server.domain.kernel import Steps, finish

#: How many distinct materialized rule sets an organization keeps for sharing (least recently used go).
SHARED_MEMBER_SETS = 256
#: A catch-up gathers the changed rows while they are at most this share of the table (or fewer than
#: DELTA_FLOOR); past that, one pass over the whole table costs less than gathering them.
DELTA_SHARE = 0.25
DELTA_FLOOR = 4096
#: Rows times rules per slice: 100 `email CONTAINS` rules over 8,000 rows, about 10 ms (at least MIN_SLICE
#: rows: a slice has a fixed cost per rule).
SLICE_WORK = 800_000
MIN_SLICE = 1024
#: What one slice should take at most: a slower one makes the next smaller (see `_Pace`).
SLICE_SECONDS = 0.010
#: Rounds of `warm` (each catches up what changed during the one before: fewer rows every time).
CATCH_UPS = 6

Meaning = frozenset[frozenset[tuple[Any, ...]]]
#: The rule set's predicate, compiled only when something is to be evaluated (a set found current is not:
#: compiling one per audience of a create loop kept thousands of closures for the collector to walk).
Compile = Callable[[], Predicate]
#: positions (read-only, shared), rows the table had, its change-log mark and revision then
_Computed = tuple[Positions, int, int, int]


class Materializer:
    """The member positions of rule sets by meaning, over one table."""

    def __init__(self, table: ConsumerTable) -> None:
        self._table = table
        self._computed: OrderedDict[Meaning, _Computed] = OrderedDict()

    def matching(self, meaning: Meaning, predicate: Compile, rules: int) -> Positions:
        """The positions the rule set selects now (caught up at once; `steps` does it in slices)."""
        return finish(self.steps(meaning, predicate, rules, sliced=False))

    def steps(
        self, meaning: Meaning, compiled: Compile, rules: int, *, sliced: bool = True
    ) -> Steps[Positions]:
        """`matching`, one bounded slice per `next()` (rows times `rules` about SLICE_WORK each). Whatever
        changes between slices is caught up by the next call, from the mark taken at the start."""
        table = self._table
        known = self._computed.get(meaning)
        if known is not None:
            self._computed.move_to_end(meaning)
            if known[3] == table.revision:
                return known[0]
        n, mark, revision = len(table), table.changes.mark, table.revision
        step = max(MIN_SLICE, SLICE_WORK // max(1, rules)) if sliced else max(1, n)
        changed = None if known is None else self._changed(known, n)
        if changed is None or known is None:
            positions = yield from _evaluate(table, compiled(), 0, n, step)
        else:
            positions = yield from _caught_up(table, compiled(), known, changed, n, step)
        positions.flags.writeable = False  # shared: every change to a member set makes a new array
        latest = self._computed.get(meaning)
        if latest is None or latest[3] <= revision:  # (a fresher one may have landed between slices)
            self._computed[meaning] = (positions, n, mark, revision)
            if len(self._computed) > SHARED_MEMBER_SETS:
                self._computed.popitem(last=False)
        return positions

    def warm(self, meaning: Meaning, compiled: Compile, rules: int) -> Steps[None]:
        """`steps`, again while the table changed under the slices (an import running beside them), so
        what is left for the request itself to catch up at once is one round's changes at most."""
        for _ in range(CATCH_UPS):
            yield from self.steps(meaning, compiled, rules)
            known = self._computed.get(meaning)
            if known is None or known[3] == self._table.revision:
                return
            yield

    def _changed(self, known: _Computed, n: int) -> npt.NDArray[np.int64] | None:
        """The rows that were there before and changed since `known` was computed, or None when a full
        pass is the better way (too many, or the log no longer reaches back)."""
        _, before, mark, _ = known
        changed = self._table.changes.since(mark) if n >= before else None
        if changed is None:
            return None
        changed = changed[changed < before]
        if len(changed) + n - before > max(DELTA_FLOOR, DELTA_SHARE * n):
            return None
        return changed


def _evaluate(table: ConsumerTable, predicate: Predicate, lo: int, hi: int, step: int) -> Steps[Positions]:
    """The positions in [lo, hi) the predicate selects, `step` rows per slice."""
    if lo == 0 and hi == len(table) and hi <= step:
        return np.flatnonzero(predicate(table)).astype(np.int64)
    parts, pace, start = [], _Pace(step), lo
    while start < hi:
        pace.begin()
        end = min(hi, start + pace.step)
        parts.append(np.flatnonzero(predicate(RowsView.range(table, start, end))).astype(np.int64) + start)
        pace.took()
        start = end
        yield
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _caught_up(
    table: ConsumerTable,
    predicate: Predicate,
    known: _Computed,
    changed: npt.NDArray[np.int64],
    n: int,
    step: int,
) -> Steps[Positions]:
    """`known`'s positions with the changed rows evaluated again and the appended ones evaluated."""
    positions, before = known[0], known[1]
    selected, pace, start = [], _Pace(step), 0
    while start < len(changed):
        pace.begin()
        rows = changed[start : start + pace.step]
        selected.append(rows[predicate(RowsView.positions(table, rows))])
        pace.took()
        start += len(rows)
        yield
    appended = yield from _evaluate(table, predicate, before, n, step)
    if len(changed):
        at = np.searchsorted(positions, changed)
        held = at < len(positions)
        held[held] = positions[at[held]] == changed[held]
        kept = np.delete(positions, at[held])  # the changed rows that were members leave...
        chosen = np.concatenate(selected)
        positions = np.insert(kept, np.searchsorted(kept, chosen), chosen)  # ...and those selected now return
    return np.concatenate((positions, appended)) if len(appended) else positions


class _Pace:
    """A slice's rows, made smaller when a slice took longer than SLICE_SECONDS (a slow or busy machine,
    rules dearer than planned); never larger than planned. Only when the loop is let go depends on it."""

    __slots__ = ("_started", "step")

    def __init__(self, step: int) -> None:
        self.step = step
        self._started = 0.0

    def begin(self) -> None:
        self._started = time.perf_counter()

    def took(self) -> None:
        spent = time.perf_counter() - self._started
        if spent > SLICE_SECONDS:
            self.step = max(MIN_SLICE, min(self.step, int(self.step * SLICE_SECONDS / spent)))

"""The member sets of one organization's audiences, and their materialization from rules.

A dynamic audience's set is computed from its rules over the consumer table; audiences whose rules mean
the same share one read-only array (a loop creating the same segment stays flat in memory), kept current
from the rows changed since (`Materializer`). A set is stale when its rules or the table changed since,
or its refresh interval has passed on the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from mock_server.domain.audiences import (
    EMPTY,
    Audience,
    AudienceType,
    MemberSet,
    Positions,
    Predicate,
    Rule,
    audience_out,
    compile_rules,
    members_in,
)
from mock_server.domain.consumers import ConsumerTable
from mock_server.domain.kernel import Clock, Steps
from mock_server.domain.world.materializer import Materializer, Meaning


class MemberSets:
    """Each audience's MemberSet by id, with the compiled predicates and the cache shared by meaning."""

    def __init__(self, clock: Clock, consumers: ConsumerTable) -> None:
        self.clock = clock
        self.consumers = consumers
        # Each set as a tuple of atoms (see `_Shelved`), out of the cyclic collector's sight.
        self._sets: dict[str, SetRecord] = {}
        self._predicates: dict[str, tuple[int, Predicate]] = {}
        self._by_meaning = Materializer(consumers)  # member sets by rule meaning, kept current

    def open(self, audience_id: str) -> MemberSet:
        """A new, empty set for a new audience."""
        self._sets[audience_id] = _EMPTY_RECORD
        return self.of(audience_id)

    def of(self, audience_id: str) -> MemberSet:
        """The audience's set; a change through it (`add`, `remove`, `replace`) is kept."""
        return _Shelved.load(self._sets, audience_id)

    def materialize(self, audience: Audience) -> datetime:
        """Recompute a dynamic audience's set from its rules now; returns the instant of the refresh."""
        positions = self._matching(audience).astype(np.int64, copy=False)
        revision = self._sets[audience.id][1] + 1  # a change, as `MemberSet.replace` counts it
        now = self.clock.now()
        self._sets[audience.id] = (positions, revision, audience.version, self.consumers.revision, now)
        return now

    def warm(self, audience: Audience) -> Steps[None]:
        """Bring the materialization `materialize` will use up to date, in slices (each `next()` one),
        changing nothing an answer shows."""
        if audience.rules:
            yield from self._by_meaning.warm(
                _meaning(audience.rules), lambda: self._predicate(audience), len(audience.rules)
            )

    def warm_rules(self, rules: Sequence[Rule]) -> Steps[None]:
        """`warm` for the rules an audience is about to have (checked rules; their ids do not matter)."""
        if rules:
            yield from self._by_meaning.warm(_meaning(rules), lambda: compile_rules(rules), len(rules))

    def stale(self, audience: Audience) -> bool:
        """True when the set no longer shows the audience's rules over today's table, or is due."""
        _, _, rules_version, table_revision, _ = self._sets[audience.id]
        if rules_version != audience.version or table_revision != self.consumers.revision:
            return True
        interval, last = audience.refresh_interval_seconds, audience.last_refreshed_at
        return (
            bool(interval)
            and last is not None
            and self.clock.now() >= last + timedelta(seconds=interval or 0)
        )

    def export(self, audience: Audience) -> dict[str, Any]:
        """The audience and its set as JSON (a materialized set is left out: it is recomputed)."""
        return audience_out(audience, self.of(audience.id))

    def restore(self, audience: Audience, state: Mapping[str, Any]) -> None:
        """The set `export` wrote; a materialized one is recomputed (a stale one refreshes on read)."""
        members = members_in(state)
        if state["positions"] is None and audience.type is AudienceType.DYNAMIC and audience.rules:
            members.positions = np.flatnonzero(self._predicate(audience)(self.consumers)).astype(np.int64)
        self._sets[audience.id] = _record(members)

    def _predicate(self, audience: Audience) -> Predicate:
        cached = self._predicates.get(audience.id)
        if cached is None or cached[0] != audience.version:
            cached = self._predicates[audience.id] = (audience.version, compile_rules(audience.rules))
        return cached[1]

    def _matching(self, audience: Audience) -> Positions:
        """The positions an audience's rules select now, shared with audiences whose rules mean the same."""
        if not audience.rules:
            return EMPTY
        return self._by_meaning.matching(
            _meaning(audience.rules), lambda: self._predicate(audience), len(audience.rules)
        )


#: A member set kept as atoms: positions (an ndarray, untracked), revision, rules version, table revision,
#: refreshed at. A `MemberSet` per audience was one more tracked object each for every full collection.
SetRecord = tuple[Positions, int, int, int, datetime | None]


def _record(members: MemberSet) -> SetRecord:
    return (
        members.positions,
        members.revision,
        members.rules_version,
        members.table_revision,
        members.refreshed_at,
    )


_EMPTY_RECORD: SetRecord = _record(MemberSet())


class _Shelved(MemberSet):
    """A `MemberSet` read from its record; `replace` (which `add` and `remove` go through) writes it back."""

    __slots__ = ("_key", "_shelf")

    _shelf: dict[str, SetRecord]
    _key: str

    @classmethod
    def load(cls, shelf: dict[str, SetRecord], key: str) -> _Shelved:
        members = cls.__new__(cls)
        (
            members.positions,
            members.revision,
            members.rules_version,
            members.table_revision,
            members.refreshed_at,
        ) = shelf[key]
        members._shelf, members._key = shelf, key
        return members

    def replace(self, positions: Positions) -> None:
        super().replace(positions)
        self._shelf[self._key] = _record(self)


def _meaning(rules: Sequence[Rule]) -> Meaning:
    """What a rule set selects, independent of ids and order: an OR of groups, each an AND of conditions."""
    groups: dict[str, set[tuple[Any, ...]]] = {}
    for rule in rules:
        values = tuple((type(v).__name__, v) for v in rule.values)  # 1 and True and 1.0 differ in meaning
        groups.setdefault(rule.group_id, set()).add((rule.field, rule.operator.value, values))
    return frozenset(frozenset(group) for group in groups.values())

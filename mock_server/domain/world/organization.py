"""The Organization: one tenant's consumers, audiences, rules and memberships, and its books (imports,
sync sources, experiences, jobs) as typed fields; the rules that span them (the archive cascade) live here.

Dynamic audiences are materialized when their rules change, and again lazily on read when their
refresh interval has passed on the virtual clock or the consumers changed. Archived audiences are
NotFound. Adding unknown consumer ids to a list is Invalid (naming them), never silently skipped:
a client that sends a wrong id has a bug the mock should show.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from mock_server.domain.audiences import (
    EMPTY,
    UNSET,
    Audience,
    AudienceCount,
    AudienceInput,
    AudiencePatch,
    AudienceStatus,
    AudienceSyncStatus,
    AudienceType,
    MemberSet,
    Page,
    PageRequest,
    Positions,
    Predicate,
    Rule,
    RuleInput,
    RulePatch,
    as_positions,
    audience_in,
    audience_out,
    build_rules,
    check_inputs,
    compile_rules,
    members_in,
    ordered,
    select,
)
from mock_server.domain.consumers import ConsumerRecord, ConsumerTable
from mock_server.domain.experiences import ExperienceBook
from mock_server.domain.imports import AudienceImport, ChunkSource, ImportBook, JobBoard
from mock_server.domain.kernel import Clock, IdFactory, Invalid, Issue, NotFound, finish
from mock_server.domain.sync import Catalogue, SyncBook
from mock_server.domain.world.links import ImportedMembers, SyncedLists


class Organization:
    """One tenant: its consumers and audiences, and the books of its imports, sync sources, experiences
    and jobs. Every method names audiences by id; another tenant's id is simply not found."""

    def __init__(
        self,
        organization_id: str,
        clock: Clock,
        ids: IdFactory,
        consumers: ConsumerTable,
        actor: str,
        catalogue: Catalogue | None = None,
    ):
        self.id = organization_id
        self.clock = clock
        self.ids = ids
        self.consumers = consumers
        self.actor = actor  # createdBy/updatedBy: a non-secret label of the key
        self.jobs = JobBoard(clock, ids)  # one board: imports and syncs share its progressions and faults
        self.imports = ImportBook(organization_id, clock, ids, self.jobs)
        self.sync = SyncBook(
            organization_id, clock, ids, self.jobs, catalogue or Catalogue(0, organization_id)
        )
        self.experiences = ExperienceBook(organization_id, clock, ids)
        self.sync_host = SyncedLists(self)
        self._audiences: dict[str, Audience] = {}
        self._members: dict[str, MemberSet] = {}
        self._predicates: dict[str, tuple[int, Predicate]] = {}
        # Materialized member sets by rule meaning, for the current consumer table: audiences with the
        # same rules share one read-only array (a loop creating the same segment stays flat in memory).
        self._by_meaning: OrderedDict[frozenset[frozenset[tuple[Any, ...]]], Positions] = OrderedDict()
        self._by_meaning_revision = -1

    # ---- audiences -------------------------------------------------------------------------------
    def create_audience(self, data: AudienceInput) -> Audience:
        _check_audience_fields(data.name, data.refresh_interval_seconds)
        check_inputs(data.rules)
        now = self.clock.now()
        audience_id = self.ids.new()
        audience = Audience(
            id=audience_id,
            organization_id=self.id,
            name=data.name,
            description=data.description,
            type=data.type,
            icon_name=data.icon_name,
            metadata=dict(data.metadata) if data.metadata is not None else None,
            version=1,
            group_id=data.group_id,
            group_type=data.group_type,
            group_name=data.group_name,
            primary_sync_source_id=data.primary_sync_source_id,
            last_refreshed_at=data.last_refreshed_at,
            refresh_interval_seconds=data.refresh_interval_seconds,
            created_at=now,
            updated_at=now,
            created_by=self.actor,
            updated_by=None,
            archived=False,
            rules=ordered(build_rules(data.rules, audience_id, self.ids)),
        )
        self._audiences[audience_id] = audience
        self._members[audience_id] = MemberSet()
        if audience.type is AudienceType.DYNAMIC:
            self._materialize(audience)
        return self._audiences[audience_id]

    def get_audience(self, audience_id: str) -> Audience:
        return self._fresh(self._active(audience_id))

    def list_audiences(self) -> list[Audience]:
        return [self._fresh(a) for a in list(self._audiences.values()) if not a.archived]

    def update_audience(self, audience_id: str, patch: AudiencePatch) -> Audience:
        audience = self._active(audience_id)
        changes = {f.name: getattr(patch, f.name) for f in dataclasses.fields(patch)}
        changes = {k: v for k, v in changes.items() if v is not UNSET}
        if "metadata" in changes and changes["metadata"] is not None:
            changes["metadata"] = dict(changes["metadata"])
        _check_audience_fields(
            changes.get("name", audience.name),
            changes.get("refresh_interval_seconds", audience.refresh_interval_seconds),
        )
        updated = self._store(audience, **changes)
        if updated.type is not audience.type and updated.type is AudienceType.DYNAMIC:
            self._materialize(
                updated
            )  # becomes rule-driven; the other way round keeps the last set as a list
        return self._fresh(self._audiences[audience_id])

    def archive_audience(self, audience_id: str) -> Audience:
        """Delete = archive: the audience is returned with archived=True and is NotFound afterwards.

        Every way of archiving comes here (a delete, a group delete, a tier dropped by a tiers PUT), so
        the audience always takes its imports and sync source with it, and leaves every experience."""
        archived = self._store(self._active(audience_id), archived=True)
        self.imports.archive_for_audience(audience_id)
        self.sync.archive_for_audience(audience_id)
        self.experiences.detach_audience(audience_id, updated_by=self.actor)
        return archived

    # ---- rules -------------------------------------------------------------------------------------
    def rules(self, audience_id: str) -> tuple[Rule, ...]:
        return self._active(audience_id).rules

    def add_rules(self, audience_id: str, inputs: Sequence[RuleInput], prefix: str = "rules") -> list[Rule]:
        audience = self._active(audience_id)
        top = max((r.position for r in audience.rules), default=-1)
        added = build_rules(
            inputs, audience_id, self.ids, after_position=top, prefix=prefix, kept=audience.rules
        )
        self._set_rules(audience, (*audience.rules, *added))
        return added

    def replace_rules(self, audience_id: str, inputs: Sequence[RuleInput]) -> list[Rule]:
        audience = self._active(audience_id)
        rules = build_rules(inputs, audience_id, self.ids)
        return list(self._set_rules(audience, rules).rules)

    def get_rule(self, audience_id: str, rule_id: str) -> Rule:
        return self._rule(self._active(audience_id), rule_id)

    def update_rule(self, audience_id: str, rule_id: str, patch: RulePatch) -> Rule:
        audience = self._active(audience_id)
        rule = self._rule(audience, rule_id)
        merged = RuleInput(
            field=rule.field if patch.field is UNSET else patch.field,
            operator=rule.operator.value if patch.operator is UNSET else patch.operator,
            values=rule.values if patch.values is UNSET else tuple(patch.values),
            group_id=rule.group_id if patch.group_id is UNSET else patch.group_id,
            position=rule.position if patch.position is UNSET else patch.position,
        )
        others = [r for r in audience.rules if r.id != rule_id]
        (checked,) = build_rules([merged], audience_id, self.ids, prefix="", kept=others)
        new_rule = dataclasses.replace(checked, id=rule.id)
        self._set_rules(audience, [new_rule if r.id == rule_id else r for r in audience.rules])
        return new_rule

    def delete_rule(self, audience_id: str, rule_id: str) -> Rule:
        audience = self._active(audience_id)
        rule = self._rule(audience, rule_id)
        self._set_rules(audience, [r for r in audience.rules if r.id != rule_id])
        return rule

    # ---- members -----------------------------------------------------------------------------------
    def add_members(self, audience_id: str, consumer_ids: Sequence[str]) -> int:
        """Add consumers to a static list by id; returns how many were not members yet."""
        audience = self._active(audience_id)
        if audience.type is not AudienceType.STATIC:
            raise Invalid("Members can only be added to a static list", (Issue("", "not a static list"),))
        return self.add_member_positions(audience_id, self._positions_of(consumer_ids))

    def remove_members(self, audience_id: str, consumer_ids: Sequence[str]) -> int:
        audience = self._active(audience_id)
        if audience.type is not AudienceType.STATIC:
            raise Invalid("Members can only be removed from a static list", (Issue("", "not a static list"),))
        removed = self._members[audience_id].remove(as_positions(self._positions_of(consumer_ids)))
        self._touch(audience)
        return removed

    def add_member_positions(self, audience_id: str, positions: Sequence[int] | Positions) -> int:
        """For importers and sync: add consumers by position to any list audience."""
        audience = self._active(audience_id)
        added = self._members[audience_id].add(as_positions(positions))
        self._touch(audience)
        return added

    def set_member_positions(self, audience_id: str, positions: Sequence[int] | Positions) -> None:
        """For sync: replace a synced list's members wholesale."""
        self._members[self._active(audience_id).id].replace(as_positions(positions))

    def member_positions(self, audience_id: str) -> Positions:
        audience = self._fresh(self._active(audience_id))
        return self._members[audience.id].positions

    def members(self, audience_id: str, request: PageRequest | None = None) -> Page[ConsumerRecord]:
        return self.records_of(self.member_page(audience_id, request))

    def member_page(self, audience_id: str, request: PageRequest | None = None) -> Page[int]:
        """A members page as consumer positions (`records_of` turns it into records)."""
        return self._select(self.member_positions(audience_id), request or PageRequest())

    def records_of(self, page: Page[int]) -> Page[ConsumerRecord]:
        return Page(tuple(self.consumers.records(page.items)), page.start_cursor, page.end_cursor)

    def count(self, audience_id: str) -> AudienceCount:
        audience = self._fresh(self._active(audience_id))
        return AudienceCount(audience.id, len(self._members[audience.id]), audience.type.count_source)

    def status(self, audience_id: str) -> AudienceStatus:
        """Materialization status, as observed: reading it does not refresh anything."""
        audience = self._active(audience_id)
        dynamic = audience.type is AudienceType.DYNAMIC
        sync_status, synced_at = None, None
        if audience.type is AudienceType.SYNCED_LIST:
            sync_status, synced_at = self.sync.sync_status(audience.id)
        return AudienceStatus(
            audience_id=audience.id,
            version=audience.version,
            sync_status=sync_status,
            last_synced_at=synced_at,
            last_refreshed_at=audience.last_refreshed_at,
            refresh_interval_seconds=audience.refresh_interval_seconds,
            stale=dynamic and self._stale(audience),
            # a sync pending or running (shown as PENDING) is work in progress: a re-sync is a 409 then
            in_progress=sync_status is AudienceSyncStatus.PENDING,
            pending_shards=0 if dynamic else None,
        )

    # ---- groups and consumers ---------------------------------------------------------------------
    def group_audiences(self, group_id: str) -> list[Audience]:
        found = [
            self._fresh(a)
            for a in list(self._audiences.values())
            if a.group_id == group_id and not a.archived
        ]
        if not found:
            raise NotFound("Audience group", group_id)
        return found

    def group_members(
        self, group_id: str, request: PageRequest | None = None, audience_id: str | None = None
    ) -> Page[ConsumerRecord]:
        return self.records_of(self.group_member_page(group_id, request, audience_id))

    def group_member_page(
        self, group_id: str, request: PageRequest | None = None, audience_id: str | None = None
    ) -> Page[int]:
        audiences = self.group_audiences(group_id)
        if audience_id is not None:
            audiences = [a for a in audiences if a.id == audience_id]
            if not audiences:
                raise NotFound("Audience", audience_id)
        sets = [self._members[a.id].positions for a in audiences]
        positions = sets[0] if len(sets) == 1 else np.unique(np.concatenate(sets))
        return self._select(positions, request or PageRequest())

    def delete_group(self, group_id: str) -> list[Audience]:
        return [self.archive_audience(a.id) for a in self.group_audiences(group_id)]

    # ---- CSV imports -------------------------------------------------------------------------------
    def create_import(self, audience_id: str) -> AudienceImport:
        """A new import awaiting its file; only a static list takes CSV imports."""
        audience = self.get_audience(audience_id)
        if audience.type is not AudienceType.STATIC:
            raise Invalid(
                "Only static lists take CSV imports",
                (Issue("audienceId", f"the audience is {audience.type.value}"),),
            )
        return self.imports.create(audience.id, created_by=self.actor)

    def upload_import(self, import_id: str, chunks: ChunkSource) -> AudienceImport:
        """The file of an import: its rows upsert consumers and become members of the import's list."""
        return finish(self.upload_import_steps(import_id, chunks))

    def upload_import_steps(
        self, import_id: str, chunks: ChunkSource
    ) -> Generator[None, None, AudienceImport]:
        """`upload_import` in slices of about 20 ms (each `next()` one slice; see `import_steps`)."""
        members = ImportedMembers(self, self.imports.get(import_id).audience_id)
        return self.imports.upload_steps(import_id, chunks, self.consumers, members, updated_by=self.actor)

    # ---- snapshots -----------------------------------------------------------------------------------
    def export(self, *, deferred: bool = False) -> dict[str, Any]:
        """Everything changed since generation, as JSON (see `World.export`)."""
        consumers = self.consumers.export(deferred=deferred)
        return {
            "id": self.id,
            "ids": self.ids.export(),
            "consumerIds": consumers.pop("ids"),
            "consumers": consumers,
            "audiences": [audience_out(a, self._members[a.id]) for a in self._audiences.values()],
            "extensions": {
                "modules": {
                    "jobs": self.jobs.export(),
                    "imports": self.imports.export(),
                    "sync": self.sync.export(),
                    "experiences": self.experiences.export(),
                }
            },
        }

    def restore_export(self, data: Mapping[str, Any]) -> None:
        """Replay an `export()` onto a freshly built organization of the same world."""
        self.consumers.restore_export({**data["consumers"], "ids": data["consumerIds"]})
        self.ids.restore_export(data["ids"])
        for item in data["audiences"]:
            audience = self._audiences[item["id"]] = audience_in(item, self.id)
            members = self._members[audience.id] = members_in(item["members"])
            recompute = item["members"]["positions"] is None and audience.type is AudienceType.DYNAMIC
            if recompute and audience.rules:
                # a materialized set is recomputed, not stored; a stale one is refreshed on its next read
                members.positions = np.flatnonzero(self._predicate(audience)(self.consumers)).astype(np.int64)
        books = data["extensions"].get("modules")
        if books is None:  # a snapshot of a world without the books keeps the fresh ones
            return
        catalogue, clock, ids = self.sync.catalogue, self.clock, self.ids
        self.jobs = JobBoard.restore(books["jobs"], clock, ids)
        self.imports = ImportBook.restore(books["imports"], self.id, clock, ids, self.jobs)
        self.sync = SyncBook.restore(books["sync"], self.id, clock, ids, self.jobs, catalogue)
        self.experiences = ExperienceBook.restore(books["experiences"], self.id, clock, ids)

    def consumer(self, consumer_id: str) -> ConsumerRecord:
        return self.consumers.record(self._position_of(consumer_id))

    def consumer_audiences(self, consumer_id: str) -> list[Audience]:
        position = self._position_of(consumer_id)
        return [a for a in self.list_audiences() if position in self._members[a.id]]

    # ---- internals ---------------------------------------------------------------------------------
    def _active(self, audience_id: str) -> Audience:
        audience = self._audiences.get(audience_id)
        if audience is None or audience.archived:
            raise NotFound("Audience", audience_id)
        return audience

    def _rule(self, audience: Audience, rule_id: str) -> Rule:
        for rule in audience.rules:
            if rule.id == rule_id:
                return rule
        raise NotFound("Rule", rule_id)

    def _store(self, audience: Audience, *, touch: bool = True, **changes: Any) -> Audience:
        if touch:
            changes.setdefault("updated_at", self.clock.now())
            changes.setdefault("updated_by", self.actor)
        updated = dataclasses.replace(audience, **changes)
        self._audiences[audience.id] = updated
        return updated

    def _touch(self, audience: Audience) -> None:
        self._store(audience)

    def _set_rules(self, audience: Audience, rules: Sequence[Rule]) -> Audience:
        updated = self._store(audience, rules=ordered(rules), version=audience.version + 1)
        if updated.type is AudienceType.DYNAMIC:
            return self._materialize(updated)
        return updated

    def _predicate(self, audience: Audience) -> Predicate:
        cached = self._predicates.get(audience.id)
        if cached is None or cached[0] != audience.version:
            cached = self._predicates[audience.id] = (audience.version, compile_rules(audience.rules))
        return cached[1]

    def _materialize(self, audience: Audience) -> Audience:
        members = self._members[audience.id]
        members.replace(self._matching(audience))
        now = self.clock.now()
        members.rules_version, members.table_revision, members.refreshed_at = (
            audience.version,
            self.consumers.revision,
            now,
        )
        return self._store(audience, touch=False, last_refreshed_at=now)

    def _matching(self, audience: Audience) -> Positions:
        """The positions an audience's rules select now, shared with audiences whose rules mean the same."""
        if not audience.rules:
            return EMPTY
        if self._by_meaning_revision != self.consumers.revision:
            self._by_meaning.clear()
            self._by_meaning_revision = self.consumers.revision
        meaning = _meaning(audience.rules)
        positions = self._by_meaning.get(meaning)
        if positions is None:
            positions = np.flatnonzero(self._predicate(audience)(self.consumers)).astype(np.int64)
            positions.flags.writeable = False  # shared: every change to a member set makes a new array
            self._by_meaning[meaning] = positions
            if len(self._by_meaning) > _SHARED_MEMBER_SETS:
                self._by_meaning.popitem(last=False)
        else:
            self._by_meaning.move_to_end(meaning)
        return positions

    def _stale(self, audience: Audience) -> bool:
        members = self._members[audience.id]
        if members.rules_version != audience.version or members.table_revision != self.consumers.revision:
            return True
        interval, last = audience.refresh_interval_seconds, audience.last_refreshed_at
        return (
            bool(interval)
            and last is not None
            and self.clock.now() >= last + timedelta(seconds=interval or 0)
        )

    def _fresh(self, audience: Audience) -> Audience:
        if audience.type is AudienceType.DYNAMIC and self._stale(audience):
            return self._materialize(audience)
        return audience

    def _position_of(self, consumer_id: str) -> int:
        position = self.consumers.index_of_id(consumer_id) if isinstance(consumer_id, str) else None
        if position is None:
            raise NotFound("Consumer", consumer_id)
        return position

    def _positions_of(self, consumer_ids: Sequence[str]) -> list[int]:
        positions, issues = [], []
        for i, consumer_id in enumerate(consumer_ids):
            position = self.consumers.index_of_id(consumer_id) if isinstance(consumer_id, str) else None
            if position is None:
                issues.append(Issue(f"consumerIds.{i}", f"Unknown consumer {consumer_id!r}"))
            else:
                positions.append(position)
        if issues:
            raise Invalid("Unknown consumer ids", tuple(issues))
        return positions

    def _select(self, positions: Positions, request: PageRequest) -> Page[int]:
        matcher: Callable[[Positions], Any] | None = None
        if request.search:
            needle = request.search
            matcher = lambda chunk: self.consumers.search_mask(chunk, needle)  # noqa: E731
        return select(positions, request, matcher)


#: How many distinct materialized rule sets an organization keeps for sharing (least recently used go).
_SHARED_MEMBER_SETS = 256


def _meaning(rules: Sequence[Rule]) -> frozenset[frozenset[tuple[Any, ...]]]:
    """What a rule set selects, independent of ids and order: an OR of groups, each an AND of conditions."""
    groups: dict[str, set[tuple[Any, ...]]] = {}
    for rule in rules:
        values = tuple((type(v).__name__, v) for v in rule.values)  # 1 and True and 1.0 differ in meaning
        groups.setdefault(rule.group_id, set()).add((rule.field, rule.operator.value, values))
    return frozenset(frozenset(group) for group in groups.values())


def _check_audience_fields(name: object, refresh_interval: object) -> None:
    issues = []
    if not isinstance(name, str) or not name.strip():
        issues.append(Issue("name", "name must be a non-empty string"))
    if refresh_interval is not None and (
        isinstance(refresh_interval, bool) or not isinstance(refresh_interval, int) or refresh_interval < 0
    ):
        issues.append(Issue("refreshIntervalSeconds", "refreshIntervalSeconds must be a whole number >= 0"))
    if issues:
        raise Invalid("Invalid audience", tuple(issues))

"""An organization's audiences and their rules: create, read, update, archive, groups, rules CRUD.

Archived audiences are NotFound. A dynamic audience is materialized when its rules change, and again on
read when its set is stale (see `MemberSets`); archiving cascades to what refers to the audience.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from mock_server.domain.audiences import (
    UNSET,
    Audience,
    AudienceInput,
    AudiencePatch,
    AudienceType,
    Rule,
    RuleInput,
    RulePatch,
    audience_in,
    build_rules,
    check_inputs,
    ordered,
)
from mock_server.domain.audiences.shelf import AudienceShelf
from mock_server.domain.kernel import Clock, IdFactory, Invalid, Issue, NotFound
from mock_server.domain.world.member_sets import MemberSets

#: What archiving an audience takes with it, by audience id (the organization's books).
Cascade = Callable[[str], None]


class AudienceRegistry:
    """One tenant's audiences by id; another tenant's id is simply not found."""

    def __init__(
        self,
        organization_id: str,
        clock: Clock,
        ids: IdFactory,
        sets: MemberSets,
        actor: str,
        cascade: Cascade,
    ) -> None:
        self.organization_id = organization_id
        self.clock = clock
        self.ids = ids
        self.actor = actor  # createdBy/updatedBy: a non-secret label of the key
        self._sets = sets
        self._cascade = cascade
        self._audiences = AudienceShelf()  # packed: out of the collector's sight

    # ---- audiences -------------------------------------------------------------------------------
    def create(self, data: AudienceInput) -> Audience:
        _check_audience_fields(data.name, data.refresh_interval_seconds)
        check_inputs(data.rules)
        now = self.clock.now()
        audience_id = self.ids.new()
        audience = Audience(
            id=audience_id,
            organization_id=self.organization_id,
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
        self._sets.open(audience_id)
        if audience.type is AudienceType.DYNAMIC:
            audience = self._materialize(audience)  # stored; what the shelf holds, not read back
        return audience

    def get(self, audience_id: str) -> Audience:
        """A live audience, refreshed first when its materialized set is stale."""
        return self.fresh(self.observe(audience_id))

    def live(self, audience_ids: Sequence[str] | None = None) -> list[Audience]:
        """Every audience not archived (or those of `audience_ids`), in order of creation, each refreshed
        when stale."""
        shelf = self._audiences
        audiences = list(shelf.values()) if audience_ids is None else [shelf[i] for i in audience_ids]
        return [self.fresh(a) for a in audiences if not a.archived]

    def update(self, audience_id: str, patch: AudiencePatch) -> Audience:
        audience = self.observe(audience_id)
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
            # becomes rule-driven; the other way round keeps the last set as a list
            self._materialize(updated)
        return self.fresh(self._audiences[audience_id])

    def archive(self, audience_id: str) -> Audience:
        """Delete = archive: the audience is returned with archived=True and is NotFound afterwards.

        Every way of archiving comes here (a delete, a group delete, a tier dropped by a tiers PUT), so
        the audience always takes its imports and sync source with it, and leaves every experience."""
        archived = self._store(self.observe(audience_id), archived=True)
        self._cascade(audience_id)
        return archived

    def group(self, group_id: str) -> list[Audience]:
        """The live audiences of a group (NotFound when it has none)."""
        found = [
            self.fresh(a) for a in list(self._audiences.values()) if a.group_id == group_id and not a.archived
        ]
        if not found:
            raise NotFound("Audience group", group_id)
        return found

    def delete_group(self, group_id: str) -> list[Audience]:
        return [self.archive(a.id) for a in self.group(group_id)]

    # ---- rules -------------------------------------------------------------------------------------
    def rules(self, audience_id: str) -> tuple[Rule, ...]:
        return self.observe(audience_id).rules

    def add_rules(self, audience_id: str, inputs: Sequence[RuleInput], prefix: str = "rules") -> list[Rule]:
        audience = self.observe(audience_id)
        top = max((r.position for r in audience.rules), default=-1)
        added = build_rules(
            inputs, audience_id, self.ids, after_position=top, prefix=prefix, kept=audience.rules
        )
        self._set_rules(audience, (*audience.rules, *added))
        return added

    def replace_rules(self, audience_id: str, inputs: Sequence[RuleInput]) -> list[Rule]:
        audience = self.observe(audience_id)
        rules = build_rules(inputs, audience_id, self.ids)
        return list(self._set_rules(audience, rules).rules)

    def get_rule(self, audience_id: str, rule_id: str) -> Rule:
        return _rule(self.observe(audience_id), rule_id)

    def update_rule(self, audience_id: str, rule_id: str, patch: RulePatch) -> Rule:
        audience = self.observe(audience_id)
        rule = _rule(audience, rule_id)
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
        audience = self.observe(audience_id)
        rule = _rule(audience, rule_id)
        self._set_rules(audience, [r for r in audience.rules if r.id != rule_id])
        return rule

    # ---- for the membership and the store ----------------------------------------------------------
    def audience_ids(self) -> list[str]:
        """Every audience id, archived ones too, in order of creation."""
        return list(self._audiences)

    def observe(self, audience_id: str) -> Audience:
        """A live audience as it is: reading it refreshes nothing (NotFound when archived or unknown)."""
        audience = self._audiences.get(audience_id)
        if audience is None or audience.archived:
            raise NotFound("Audience", audience_id)
        return audience

    def fresh(self, audience: Audience) -> Audience:
        """The audience, its materialized set recomputed first when stale."""
        if audience.type is AudienceType.DYNAMIC and self._sets.stale(audience):
            return self._materialize(audience)
        return audience

    def touch(self, audience: Audience) -> None:
        """Its members changed: updatedAt/updatedBy move."""
        self._store(audience)

    def refreshes_on_read(self, *, clock_running: bool, audience_id: str | None = None) -> bool:
        """True when reading some live dynamic audience (or only `audience_id`) could materialize it:
        its set is stale now or, on a running clock, has a refresh interval that comes due between two
        reads."""
        if audience_id is None:
            audiences: Iterable[Audience] = self._audiences.values()
        else:
            one = self._audiences.get(audience_id)
            audiences = () if one is None else (one,)
        return any(
            a.type is AudienceType.DYNAMIC
            and not a.archived
            and (self._sets.stale(a) or (clock_running and bool(a.refresh_interval_seconds)))
            for a in audiences
        )

    # ---- snapshots -----------------------------------------------------------------------------------
    def export(self) -> list[dict[str, Any]]:
        """Every audience (archived too) with its member set, as JSON."""
        return [self._sets.export(a) for a in self._audiences.values()]

    def restore_export(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Replay an `export()` (onto a freshly built organization of the same world)."""
        for item in items:
            audience = self._audiences[item["id"]] = audience_in(item, self.organization_id)
            self._sets.restore(audience, item["members"])

    # ---- internals ---------------------------------------------------------------------------------
    def _store(self, audience: Audience, *, touch: bool = True, **changes: Any) -> Audience:
        if touch:
            changes.setdefault("updated_at", self.clock.now())
            changes.setdefault("updated_by", self.actor)
        updated = dataclasses.replace(audience, **changes)
        self._audiences[audience.id] = updated
        return updated

    def _set_rules(self, audience: Audience, rules: Sequence[Rule]) -> Audience:
        updated = self._store(audience, rules=ordered(rules), version=audience.version + 1)
        if updated.type is AudienceType.DYNAMIC:
            return self._materialize(updated)
        return updated

    def _materialize(self, audience: Audience) -> Audience:
        return self._store(audience, touch=False, last_refreshed_at=self._sets.materialize(audience))


def _rule(audience: Audience, rule_id: str) -> Rule:
    for rule in audience.rules:
        if rule.id == rule_id:
            return rule
    raise NotFound("Rule", rule_id)


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

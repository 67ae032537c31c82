"""Audience lifecycle: create, get, list, update, archive, rules CRUD, versions, counts, status, groups."""

from __future__ import annotations

import pytest

from mock_server.domain.audiences import (
    AudienceInput,
    AudiencePatch,
    AudienceSyncStatus,
    AudienceType,
    CountSource,
    GroupType,
    RuleInput,
    RulePatch,
)
from mock_server.domain.imports import JobKind, Progression
from mock_server.domain.kernel import Invalid, NotFound
from mock_server.domain.world import Organization

BUYERS = (RuleInput("totalOrders", "GREATER_THAN_OR_EQUAL", (5,)),)


def test_create_get_list(org: Organization) -> None:
    audience = org.create_audience(AudienceInput("VIP", AudienceType.DYNAMIC, description="5+", rules=BUYERS))
    assert audience.version == 1 and audience.organization_id == org.id and not audience.archived
    assert audience.rules[0].position == 0 and audience.rules[0].group_id
    assert audience.last_refreshed_at == org.clock.now()
    assert org.get_audience(audience.id) == audience
    assert [a.id for a in org.list_audiences()] == [audience.id]


def test_invalid_audiences(org: Organization) -> None:
    with pytest.raises(Invalid):
        org.create_audience(AudienceInput("", AudienceType.STATIC))
    with pytest.raises(Invalid) as caught:
        org.create_audience(
            AudienceInput("x", AudienceType.DYNAMIC, rules=(RuleInput("bogus", "EQUALS", (1,)),))
        )
    assert caught.value.issues[0].field == "rules.0.field"
    assert org.list_audiences() == []  # nothing half-created


def test_version_bumps_on_rule_changes_only(org: Organization) -> None:
    audience = org.create_audience(AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS))
    renamed = org.update_audience(audience.id, AudiencePatch(name="Very VIP", description=None))
    assert renamed.version == 1 and renamed.name == "Very VIP" and renamed.description is None
    (added,) = org.add_rules(audience.id, [RuleInput("email", "CONTAINS", ("gmail",))])
    assert org.get_audience(audience.id).version == 2
    assert (
        added.position == 1 and added.group_id != audience.rules[0].group_id
    )  # a new ungrouped request group
    org.update_rule(audience.id, added.id, RulePatch(values=("yahoo",)))
    assert org.get_audience(audience.id).version == 3
    assert org.get_rule(audience.id, added.id).values == ("yahoo",)
    org.delete_rule(audience.id, added.id)
    assert org.get_audience(audience.id).version == 4
    org.replace_rules(audience.id, [RuleInput("totalOrders", "EQUALS", (0,))])
    assert org.get_audience(audience.id).version == 5
    with pytest.raises(NotFound):
        org.get_rule(audience.id, added.id)


def test_membership_follows_rule_changes(org: Organization) -> None:
    audience = org.create_audience(AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS))
    before = org.count(audience.id)
    assert before.source is CountSource.VALKEY_ALIAS and before.count > 0
    org.replace_rules(audience.id, [RuleInput("totalOrders", "GREATER_THAN_OR_EQUAL", (1_000_000,))])
    assert org.count(audience.id).count == 0
    with pytest.raises(Invalid):
        org.update_rule(audience.id, org.rules(audience.id)[0].id, RulePatch(operator="BETWEEN"))


def test_archive_hides_the_audience(org: Organization) -> None:
    audience = org.create_audience(AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS))
    archived = org.archive_audience(audience.id)
    assert archived.archived
    for call in (org.get_audience, org.count, org.status, org.members, org.rules, org.archive_audience):
        with pytest.raises(NotFound):
            call(audience.id)
    assert org.list_audiences() == []


def test_static_lists_and_unknown_ids(org: Organization) -> None:
    audience = org.create_audience(AudienceInput("list", AudienceType.STATIC))
    ids = [org.consumers.id_of(p) for p in (3, 1, 2)]
    assert org.add_members(audience.id, ids) == 3
    assert org.add_members(audience.id, ids[:2]) == 0  # idempotent
    assert org.count(audience.id).count == 3 and org.count(audience.id).source is CountSource.DB_LIST
    with pytest.raises(Invalid) as caught:
        org.add_members(audience.id, [ids[0], "0190c0de-0000-7000-8000-000000000000", "nope"])
    assert [i.field for i in caught.value.issues] == ["consumerIds.1", "consumerIds.2"]
    assert org.count(audience.id).count == 3  # all or nothing
    dynamic = org.create_audience(AudienceInput("dyn", AudienceType.DYNAMIC, rules=BUYERS))
    with pytest.raises(Invalid):
        org.add_members(dynamic.id, ids)
    assert [a.id for a in org.consumer_audiences(ids[0])] == [audience.id] + (
        [dynamic.id] if org.consumers.record(3).total_orders >= 5 else []
    )
    with pytest.raises(NotFound):
        org.consumer_audiences("not-an-id")


def test_refresh_interval_on_the_virtual_clock(org: Organization) -> None:
    audience = org.create_audience(
        AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS, refresh_interval_seconds=3600)
    )
    first = org.status(audience.id)
    assert not first.stale and first.pending_shards == 0 and not first.in_progress and first.version == 1
    org.clock.advance(3599)
    assert not org.status(audience.id).stale
    org.clock.advance(1)
    assert org.status(audience.id).stale  # observing the status does not refresh
    org.count(audience.id)  # reading does
    status = org.status(audience.id)
    assert not status.stale and status.last_refreshed_at == org.clock.now()


def test_consumer_changes_make_dynamic_audiences_recompute(org: Organization) -> None:
    audience = org.create_audience(
        AudienceInput(
            "big", AudienceType.DYNAMIC, rules=(RuleInput("totalOrders", "GREATER_THAN", (10_000,)),)
        )
    )
    assert org.count(audience.id).count == 0
    org.consumers.update(7, total_orders=20_000)
    assert org.status(audience.id).stale
    assert org.count(audience.id).count == 1
    assert [a.id for a in org.consumer_audiences(org.consumers.id_of(7))] == [audience.id]


def test_synced_list_status_comes_from_its_sync_source(org: Organization) -> None:
    audience = org.create_audience(
        AudienceInput("klaviyo", AudienceType.SYNCED_LIST, primary_sync_source_id="s1")
    )
    assert org.status(audience.id).sync_status is None  # no source bound yet
    org.jobs.set_progression(JobKind.SYNC, Progression.after_reads(3))
    org.sync.attach(audience.id, "KLAVIYO", "no-such-list", org.sync_host, created_by="test")
    status = org.status(audience.id)
    assert status.sync_status is AudienceSyncStatus.PENDING and status.pending_shards is None
    org.set_member_positions(audience.id, [5, 1, 5])
    assert org.count(audience.id).count == 2 and org.count(audience.id).source is CountSource.SYNC_SOURCE


def test_groups(org: Organization) -> None:
    a = org.create_audience(
        AudienceInput("a", AudienceType.DYNAMIC, rules=BUYERS, group_id="g", group_type=GroupType.RFM)
    )
    b = org.create_audience(AudienceInput("b", AudienceType.STATIC, group_id="g"))
    org.create_audience(AudienceInput("c", AudienceType.STATIC, group_id="other"))
    assert [x.id for x in org.group_audiences("g")] == [a.id, b.id]
    deleted = org.delete_group("g")
    assert [x.archived for x in deleted] == [True, True]
    with pytest.raises(NotFound):
        org.group_audiences("g")
    with pytest.raises(NotFound):
        org.group_members("g")
    assert [x.name for x in org.list_audiences()] == ["c"]


def test_type_change_to_dynamic_materializes(org: Organization) -> None:
    audience = org.create_audience(AudienceInput("x", AudienceType.STATIC, rules=BUYERS))
    assert org.count(audience.id).count == 0  # a static list ignores its rules
    org.update_audience(audience.id, AudiencePatch(type=AudienceType.DYNAMIC))
    assert org.count(audience.id).count > 0

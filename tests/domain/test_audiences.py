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
    audience = org.audiences.create(
        AudienceInput("VIP", AudienceType.DYNAMIC, description="5+", rules=BUYERS)
    )
    assert audience.version == 1 and audience.organization_id == org.id and not audience.archived
    assert audience.rules[0].position == 0 and audience.rules[0].group_id
    assert audience.last_refreshed_at == org.clock.now()
    assert org.audiences.get(audience.id) == audience
    assert [a.id for a in org.audiences.live()] == [audience.id]


def test_invalid_audiences(org: Organization) -> None:
    with pytest.raises(Invalid):
        org.audiences.create(AudienceInput("", AudienceType.STATIC))
    with pytest.raises(Invalid) as caught:
        org.audiences.create(
            AudienceInput("x", AudienceType.DYNAMIC, rules=(RuleInput("bogus", "EQUALS", (1,)),))
        )
    assert caught.value.issues[0].field == "rules.0.field"
    assert org.audiences.live() == []  # nothing half-created


def test_version_bumps_on_rule_changes_only(org: Organization) -> None:
    audience = org.audiences.create(AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS))
    renamed = org.audiences.update(audience.id, AudiencePatch(name="Very VIP", description=None))
    assert renamed.version == 1 and renamed.name == "Very VIP" and renamed.description is None
    (added,) = org.audiences.add_rules(audience.id, [RuleInput("email", "CONTAINS", ("gmail",))])
    assert org.audiences.get(audience.id).version == 2
    assert (
        added.position == 1 and added.group_id != audience.rules[0].group_id
    )  # a new ungrouped request group
    org.audiences.update_rule(audience.id, added.id, RulePatch(values=("yahoo",)))
    assert org.audiences.get(audience.id).version == 3
    assert org.audiences.get_rule(audience.id, added.id).values == ("yahoo",)
    org.audiences.delete_rule(audience.id, added.id)
    assert org.audiences.get(audience.id).version == 4
    org.audiences.replace_rules(audience.id, [RuleInput("totalOrders", "EQUALS", (0,))])
    assert org.audiences.get(audience.id).version == 5
    with pytest.raises(NotFound):
        org.audiences.get_rule(audience.id, added.id)


def test_membership_follows_rule_changes(org: Organization) -> None:
    audience = org.audiences.create(AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS))
    before = org.members.count(audience.id)
    assert before.source is CountSource.VALKEY_ALIAS and before.count > 0
    org.audiences.replace_rules(
        audience.id, [RuleInput("totalOrders", "GREATER_THAN_OR_EQUAL", (1_000_000,))]
    )
    assert org.members.count(audience.id).count == 0
    with pytest.raises(Invalid):
        org.audiences.update_rule(
            audience.id, org.audiences.rules(audience.id)[0].id, RulePatch(operator="BETWEEN")
        )


def test_archive_hides_the_audience(org: Organization) -> None:
    audience = org.audiences.create(AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS))
    archived = org.audiences.archive(audience.id)
    assert archived.archived
    calls = (org.audiences.get, org.members.count, org.members.status, org.members.page, org.audiences.rules)
    for call in (*calls, org.audiences.archive):
        with pytest.raises(NotFound):
            call(audience.id)
    assert org.audiences.live() == []


def test_static_lists_and_unknown_ids(org: Organization) -> None:
    audience = org.audiences.create(AudienceInput("list", AudienceType.STATIC))
    ids = [org.consumers.id_of(p) for p in (3, 1, 2)]
    assert org.members.add(audience.id, ids) == 3
    assert org.members.add(audience.id, ids[:2]) == 0  # idempotent
    assert (
        org.members.count(audience.id).count == 3
        and org.members.count(audience.id).source is CountSource.DB_LIST
    )
    with pytest.raises(Invalid) as caught:
        org.members.add(audience.id, [ids[0], "0190c0de-0000-7000-8000-000000000000", "nope"])
    assert [i.field for i in caught.value.issues] == ["consumerIds.1", "consumerIds.2"]
    assert org.members.count(audience.id).count == 3  # all or nothing
    dynamic = org.audiences.create(AudienceInput("dyn", AudienceType.DYNAMIC, rules=BUYERS))
    with pytest.raises(Invalid):
        org.members.add(dynamic.id, ids)
    assert [a.id for a in org.members.audiences_of(ids[0])] == [audience.id] + (
        [dynamic.id] if org.consumers.record(3).total_orders >= 5 else []
    )
    with pytest.raises(NotFound):
        org.members.audiences_of("not-an-id")


def test_refresh_interval_on_the_virtual_clock(org: Organization) -> None:
    audience = org.audiences.create(
        AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS, refresh_interval_seconds=3600)
    )
    first = org.members.status(audience.id)
    assert not first.stale and first.pending_shards == 0 and not first.in_progress and first.version == 1
    org.clock.advance(3599)
    assert not org.members.status(audience.id).stale
    org.clock.advance(1)
    assert org.members.status(audience.id).stale  # observing the status does not refresh
    org.members.count(audience.id)  # reading does
    status = org.members.status(audience.id)
    assert not status.stale and status.last_refreshed_at == org.clock.now()


def test_refreshes_on_read_says_when_a_read_would_materialize(org: Organization) -> None:
    """What the store asks before answering a read from a replica (store/reads.py)."""
    org.audiences.create(AudienceInput("list", AudienceType.STATIC))
    assert not org.audiences.refreshes_on_read(clock_running=True)  # lists never materialize
    audience = org.audiences.create(
        AudienceInput("VIP", AudienceType.DYNAMIC, rules=BUYERS, refresh_interval_seconds=60)
    )
    assert not org.audiences.refreshes_on_read(clock_running=False)
    assert org.audiences.refreshes_on_read(clock_running=True)  # the interval comes due between reads
    org.clock.advance(60)
    assert org.audiences.refreshes_on_read(clock_running=False)  # due now
    org.members.count(audience.id)
    assert not org.audiences.refreshes_on_read(clock_running=False)
    org.consumers.update(3, total_orders=1)
    assert org.audiences.refreshes_on_read(clock_running=False)  # the table changed
    org.audiences.archive(audience.id)
    assert not org.audiences.refreshes_on_read(clock_running=True)


def test_consumer_changes_make_dynamic_audiences_recompute(org: Organization) -> None:
    audience = org.audiences.create(
        AudienceInput(
            "big", AudienceType.DYNAMIC, rules=(RuleInput("totalOrders", "GREATER_THAN", (10_000,)),)
        )
    )
    assert org.members.count(audience.id).count == 0
    org.consumers.update(7, total_orders=20_000)
    assert org.members.status(audience.id).stale
    assert org.members.count(audience.id).count == 1
    assert [a.id for a in org.members.audiences_of(org.consumers.id_of(7))] == [audience.id]


def test_synced_list_status_comes_from_its_sync_source(org: Organization) -> None:
    audience = org.audiences.create(
        AudienceInput("klaviyo", AudienceType.SYNCED_LIST, primary_sync_source_id="s1")
    )
    assert org.members.status(audience.id).sync_status is None  # no source bound yet
    org.jobs.set_progression(JobKind.SYNC, Progression.after_reads(3))
    org.sync.attach(audience.id, "KLAVIYO", "no-such-list", org.sync_host, created_by="test")
    status = org.members.status(audience.id)
    assert status.sync_status is AudienceSyncStatus.PENDING and status.pending_shards is None
    org.members.replace_positions(audience.id, [5, 1, 5])
    assert (
        org.members.count(audience.id).count == 2
        and org.members.count(audience.id).source is CountSource.SYNC_SOURCE
    )


def test_groups(org: Organization) -> None:
    a = org.audiences.create(
        AudienceInput("a", AudienceType.DYNAMIC, rules=BUYERS, group_id="g", group_type=GroupType.RFM)
    )
    b = org.audiences.create(AudienceInput("b", AudienceType.STATIC, group_id="g"))
    org.audiences.create(AudienceInput("c", AudienceType.STATIC, group_id="other"))
    assert [x.id for x in org.audiences.group("g")] == [a.id, b.id]
    deleted = org.audiences.delete_group("g")
    assert [x.archived for x in deleted] == [True, True]
    with pytest.raises(NotFound):
        org.audiences.group("g")
    with pytest.raises(NotFound):
        org.members.group_page("g")
    assert [x.name for x in org.audiences.live()] == ["c"]


def test_type_change_to_dynamic_materializes(org: Organization) -> None:
    audience = org.audiences.create(AudienceInput("x", AudienceType.STATIC, rules=BUYERS))
    assert org.members.count(audience.id).count == 0  # a static list ignores its rules
    org.audiences.update(audience.id, AudiencePatch(type=AudienceType.DYNAMIC))
    assert org.members.count(audience.id).count > 0

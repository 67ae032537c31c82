"""Tenancy, pinned keys, reset by rebuilding, and snapshots that restore a world exactly."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mock_server.domain.audiences import (
    AudienceInput,
    AudienceType,
    RuleInput,
    TierGroupInput,
    TierInput,
    create_tier_group,
)
from mock_server.domain.kernel import Clock, NotFound, Unauthorized
from mock_server.domain.world import World
from mock_server.seeding import consumer_source

BUYERS = (RuleInput("totalOrders", "GREATER_THAN_OR_EQUAL", (3,)),)


def scenario(world: World) -> None:
    org = world.organization_for_key("sk_test_one")
    dynamic = org.audiences.create(
        AudienceInput("buyers", AudienceType.DYNAMIC, rules=BUYERS, refresh_interval_seconds=60)
    )
    static = org.audiences.create(AudienceInput("list", AudienceType.STATIC, metadata={"k": [1, "a"]}))
    org.members.add(static.id, [org.consumers.id_of(p) for p in (9, 2, 4)])
    new = org.consumers.append(email="New@Example.com", total_orders=4, metadata={"vip": True, "fresh": 1.5})
    org.consumers.update(3, full_name="Changed", total_orders=99, location=None, metadata={"newKey": "x"})
    org.members.add_positions(static.id, [new])
    world.clock.advance(61.5)
    org.members.count(dynamic.id)
    create_tier_group(
        org, TierGroupInput("t", "totalOrders", (TierInput("a", 0, 0, 2), TierInput("b", 2, 1)))
    )
    org.audiences.archive(static.id)
    world.organization_for_key("sk_live_two").audiences.create(AudienceInput("other", AudienceType.STATIC))


def dump(world: World) -> str:
    return json.dumps(world.export(), sort_keys=False)


def test_every_key_is_its_own_tenant(world_factory: Callable[..., World]) -> None:
    world = world_factory()
    one, two = world.organization_for_key("sk_test_one"), world.organization_for_key("sk_test_two")
    assert one is world.organization_for_key("sk_test_one") and one.id != two.id
    audience = one.audiences.create(AudienceInput("mine", AudienceType.STATIC))
    with pytest.raises(NotFound):
        two.audiences.get(audience.id)
    assert two.audiences.live() == []
    assert "sk_test_one" not in dump(world)  # keys are never kept, only hashes


def test_organization_ids_derive_from_seed_and_key(world_factory: Callable[..., World]) -> None:
    a, b, c = world_factory(seed=1), world_factory(seed=1), world_factory(seed=2)
    assert a.organization_for_key("sk_test_x").id == b.organization_for_key("sk_test_x").id
    assert a.organization_for_key("sk_test_x").id != c.organization_for_key("sk_test_x").id


def test_pinned_keys_reject_others(world_factory: Callable[..., World]) -> None:
    world = world_factory(keys=["sk_test_pinned"])
    progress: list[tuple[int, int]] = []
    world.warm(lambda done, total: progress.append((done, total)))
    assert progress[-1] == (3_000, 3_000)
    assert world.organization_for_key("sk_test_pinned")
    with pytest.raises(Unauthorized):
        world.organization_for_key("sk_test_other")


def test_reset_rebuilds_the_seeded_state(world_factory: Callable[..., World]) -> None:
    world = world_factory()
    fresh = dump(world)
    world.organization_for_key("sk_test_one")
    fresh_one = dump(world)
    scenario(world)
    world.reset("sk_test_one")
    assert world.organization_for_key("sk_test_one").audiences.live() == []
    assert world.organization_for_key("sk_test_one").consumers.record(3).full_name != "Changed"
    assert world.organization_for_key("sk_live_two").audiences.live() != []  # other tenants untouched
    world.reset()
    assert dump(world) == fresh and world.clock.now() == Clock().now()
    world.organization_for_key("sk_test_one")
    assert dump(world) == fresh_one


def test_same_seed_same_operations_same_bytes(world_factory: Callable[..., World]) -> None:
    a, b = world_factory(), world_factory()
    scenario(a)
    scenario(b)
    assert dump(a) == dump(b)
    c = world_factory(seed=8)
    scenario(c)
    assert dump(c) != dump(a)


def test_snapshot_restores_the_world_exactly(world_factory: Callable[..., World]) -> None:
    world = world_factory()
    scenario(world)
    snapshot = json.loads(dump(world))
    assert len(json.dumps(snapshot)) < 60_000  # generation parameters and changes, not 3,000 consumers
    restored = World.from_snapshot(snapshot, consumer_source)
    assert dump(restored) == dump(world)
    org, again = world.organization_for_key("sk_test_one"), restored.organization_for_key("sk_test_one")
    for audience in org.audiences.live():
        assert org.members.count(audience.id) == again.members.count(audience.id)
        assert org.members.page(audience.id) == again.members.page(audience.id)
    assert again.consumers.index_of_email("new@example.com") == len(again.consumers) - 1
    # both go on identically: the id generators were restored too
    for w in (world, restored):
        tenant = w.organization_for_key("sk_test_one")
        tenant.consumers.append(email="later@example.com")
        tenant.audiences.create(AudienceInput("later", AudienceType.DYNAMIC, rules=BUYERS))
    assert dump(restored) == dump(world)

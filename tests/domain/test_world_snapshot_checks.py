"""A snapshot is checked before a world is built from it (`World.from_snapshot`, which the control plane's
restore and the store's recovery both use): each refusal is `Invalid` naming the field."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

import fanfare_spec
from mock_server.domain.audiences import AudienceInput, AudienceType
from mock_server.domain.kernel import Invalid
from mock_server.domain.world import MAX_CONSUMERS, World
from mock_server.seeding import consumer_source


def exported(world_factory: Callable[..., World]) -> dict[str, Any]:
    world = world_factory()
    org = world.organization_for_key("sk_test_checks")
    listed = org.audiences.create(AudienceInput("list", AudienceType.STATIC))
    org.members.add_positions(listed.id, [1, 5, 9])
    org.consumers.append(email="new@example.com")
    org.consumers.update(2, full_name="Changed")
    return dict(json.loads(json.dumps(world.export())))


def refusal(snapshot: dict[str, Any]) -> str:
    with pytest.raises(Invalid) as refused:
        World.from_snapshot(snapshot, consumer_source)
    return refused.value.issues[0].field


def test_the_consumer_cap_is_the_seed_endpoints() -> None:
    seed = fanfare_spec.load("mock")["paths"]["/_mock/seed"]["post"]["requestBody"]["content"]
    properties = seed["application/json"]["schema"]["properties"]
    assert properties["consumers"]["maximum"] == MAX_CONSUMERS


def test_a_good_snapshot_restores(world_factory: Callable[..., World]) -> None:
    snapshot = exported(world_factory)
    assert json.dumps(World.from_snapshot(snapshot, consumer_source).export()) == json.dumps(snapshot)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda w: w.update(consumersPerOrganization=MAX_CONSUMERS + 1), "world.consumersPerOrganization"),
        (lambda w: w.update(consumersPerOrganization=True), "world.consumersPerOrganization"),
        (lambda w: w.update(seed=2**32), "world.seed"),
        (lambda w: w.update(format="fanfare-mock/world@0"), "world.format"),
        (lambda w: w["clock"].update(now="9999-12-31T23:59:59+00:00"), "world.clock.now"),
        (lambda w: w["start"].update(now="2025-01-01T00:00:00"), "world.start.now"),
        (lambda w: w["clock"].update(running="yes"), "world.clock"),
        (lambda w: w.update(pinnedKeyHashes="*"), "world.pinnedKeyHashes"),
        (lambda w: w.update(pinnedKeyHashes=["ab" * 31]), "world.pinnedKeyHashes"),
        (lambda w: w.update(pinnedKeyHashes=["0" * 64]), "world.organizations.0.keyHash"),
        (
            lambda w: w["organizations"].append(copy.deepcopy(w["organizations"][0])),
            "world.organizations.1.keyHash",
        ),
        (lambda w: w.update(organizations={}), "world.organizations"),
    ],
)
def test_a_malformed_world_is_refused_naming_the_field(
    world_factory: Callable[..., World], change: Callable[[dict[str, Any]], None], field: str
) -> None:
    snapshot = exported(world_factory)
    change(snapshot)
    assert refusal(snapshot) == field


def _positions(values: list[int]) -> str:
    return base64.b64encode(b"".join(v.to_bytes(8, "little", signed=True) for v in values)).decode()


@pytest.mark.parametrize("positions", [[1, 5, 3_001], [-1, 5], [5, 1], [1, 1], "AAA", "not base64", 7])
def test_member_positions_must_lie_in_the_table_ascending(
    world_factory: Callable[..., World], positions: Any
) -> None:
    snapshot = exported(world_factory)
    (audience,) = snapshot["organizations"][0]["audiences"]
    audience["members"]["positions"] = _positions(positions) if isinstance(positions, list) else positions
    assert refusal(snapshot) == "world.organizations.0.audiences.0.members.positions"


def test_the_last_appended_consumer_may_be_a_member(world_factory: Callable[..., World]) -> None:
    snapshot = exported(world_factory)  # 3,000 generated consumers, one appended: position 3,000
    snapshot["organizations"][0]["audiences"][0]["members"]["positions"] = _positions([0, 3_000])
    World.from_snapshot(snapshot, consumer_source)


def test_changed_consumers_fit_the_table_and_their_columns(world_factory: Callable[..., World]) -> None:
    snapshot = exported(world_factory)
    changed = snapshot["organizations"][0]["consumers"]["changed"]
    assert [row[0] for row in changed] == [2, 3_000]
    for bad in ([[2, changed[0][1]], [3_001, changed[1][1]]], [changed[1], changed[0]], [[2, "x"]]):
        again = copy.deepcopy(snapshot)
        again["organizations"][0]["consumers"]["changed"] = bad
        assert refusal(again).startswith("world.organizations.0.consumers.changed.")
    for column, value in (("total_orders", "many"), ("ltv_cents", 2**80), ("location", 7)):
        again = copy.deepcopy(snapshot)
        again["organizations"][0]["consumers"]["changed"][0][1][column] = value
        assert refusal(again) == "world.organizations.0.consumers.changed.0"
    again = copy.deepcopy(snapshot)
    del again["organizations"][0]["audiences"][0]["name"]
    assert refusal(again) == "world.organizations.0"

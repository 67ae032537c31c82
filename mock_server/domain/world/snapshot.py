"""World snapshots: a JSON-able dict that restores a world exactly, without dumping generated consumers.

A snapshot records the generation parameters (seed, consumers per organization, the clock) and, per
tenant, only what changed since generation: consumers updated or appended, audiences with their rules,
list memberships, id-generator states and the other modules' exports. Restoring regenerates the
consumers from the seed and replays those changes. The same world gives the same bytes: nothing here
depends on hash order or the wall clock.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from mock_server.domain.audiences import Audience, AudienceType, GroupType, MemberSet, Operator, Rule
from mock_server.domain.kernel import Clock, IdFactory
from mock_server.domain.world.organization import Organization

if TYPE_CHECKING:
    from mock_server.domain.world.world import ConsumerSource, ExtensionFactory, World

FORMAT = "fanfare-mock/world@1"


def export_world(world: World) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "seed": world.seed,
        "consumersPerOrganization": world.consumers_per_org,
        "start": {"now": world.start.isoformat(), "running": world.start_running},
        "clock": {"now": world.clock.now().isoformat(), "running": world.clock.running},
        "pinnedKeyHashes": None if world.pinned is None else sorted(world.pinned),
        "organizations": [_export_org(h, org) for h, org in world.organizations()],
    }


def restore_world(
    cls: type[World],
    data: Mapping[str, Any],
    consumer_source: ConsumerSource,
    clock: Clock | None,
    extensions: Mapping[str, ExtensionFactory] | None,
) -> World:
    if data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} snapshot")
    clock = clock or Clock()
    clock.set(datetime.fromisoformat(data["start"]["now"]))
    clock.running = bool(data["start"]["running"])
    world = cls(data["seed"], data["consumersPerOrganization"], clock, None, consumer_source, extensions)
    pinned = data["pinnedKeyHashes"]
    world.pinned = None if pinned is None else frozenset(pinned)
    clock.set(datetime.fromisoformat(data["clock"]["now"]))
    clock.running = bool(data["clock"]["running"])
    for entry in data["organizations"]:
        world._adopt(entry["keyHash"], _restore_org(world, entry))
    return world


# ---- one organization ----------------------------------------------------------------------------
def _export_org(tenant_hash: str, org: Organization) -> dict[str, Any]:
    table = org.consumers
    return {
        "keyHash": tenant_hash,
        "id": org.id,
        "ids": _ids_state(org.ids),
        "consumerIds": _ids_state(table._ids),
        "consumers": {
            "revision": table.revision,
            "changed": [[p, table.raw(p)] for p in table.changed_positions()],
        },
        "audiences": [_export_audience(org, a) for a in org._audiences.values()],
        "extensions": {name: ext.export() for name, ext in sorted(org.extensions.items())},
    }


def _restore_org(world: World, entry: Mapping[str, Any]) -> Organization:
    org = world.build_organization(entry["keyHash"], extension_data=None)
    table = org.consumers
    for position, raw in entry["consumers"]["changed"]:
        table.restore_raw(position, raw)
    table.revision = entry["consumers"]["revision"]
    _restore_ids(org.ids, entry["ids"])
    _restore_ids(table._ids, entry["consumerIds"])
    for item in entry["audiences"]:
        audience = _restore_audience(item, org.id)
        org._audiences[audience.id] = audience
        members = org._members[audience.id] = MemberSet()
        state = item["members"]
        members.revision = state["revision"]
        members.rules_version, members.table_revision = state["rulesVersion"], state["tableRevision"]
        members.refreshed_at = _instant(state["refreshedAt"])
        if state["positions"] is not None:
            members.positions = np.frombuffer(base64.b64decode(state["positions"]), dtype="<i8").astype(
                np.int64
            )
        elif audience.type is AudienceType.DYNAMIC and audience.rules:
            # a materialized set is recomputed, not stored; a stale one is refreshed on its next read anyway
            members.positions = np.flatnonzero(org._predicate(audience)(table)).astype(np.int64)
    for name, factory in world.extensions.items():
        org.extensions[name] = factory(org, entry["extensions"].get(name))
    return org


def _ids_state(ids: IdFactory) -> dict[str, Any]:
    rng_state, last = ids.state()
    version, internal, gauss = cast(tuple[int, tuple[int, ...], float | None], rng_state)
    return {"rng": [version, list(internal), gauss], "last": str(last)}


def _restore_ids(ids: IdFactory, state: Mapping[str, Any]) -> None:
    version, internal, gauss = state["rng"]
    ids.restore(((version, tuple(internal), gauss), int(state["last"])))


# ---- audiences -------------------------------------------------------------------------------------
def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _export_audience(org: Organization, a: Audience) -> dict[str, Any]:
    members = org._members[a.id]
    listed = a.type is not AudienceType.DYNAMIC or not a.rules
    return {
        "id": a.id,
        "name": a.name,
        "description": a.description,
        "type": a.type.value,
        "iconName": a.icon_name,
        "metadata": None if a.metadata is None else dict(a.metadata),
        "version": a.version,
        "groupId": a.group_id,
        "groupType": None if a.group_type is None else a.group_type.value,
        "groupName": a.group_name,
        "primarySyncSourceId": a.primary_sync_source_id,
        "lastRefreshedAt": _iso(a.last_refreshed_at),
        "refreshIntervalSeconds": a.refresh_interval_seconds,
        "createdAt": _iso(a.created_at),
        "updatedAt": _iso(a.updated_at),
        "createdBy": a.created_by,
        "updatedBy": a.updated_by,
        "archived": a.archived,
        "rules": [
            {
                "id": r.id,
                "field": r.field,
                "operator": r.operator.value,
                "values": list(r.values),
                "groupId": r.group_id,
                "position": r.position,
            }
            for r in a.rules
        ],
        "members": {
            "revision": members.revision,
            "rulesVersion": members.rules_version,
            "tableRevision": members.table_revision,
            "refreshedAt": _iso(members.refreshed_at),
            "positions": base64.b64encode(members.positions.astype("<i8").tobytes()).decode("ascii")
            if listed
            else None,
        },
    }


def _restore_audience(item: Mapping[str, Any], organization_id: str) -> Audience:
    audience_id = item["id"]
    return Audience(
        id=audience_id,
        organization_id=organization_id,
        name=item["name"],
        description=item["description"],
        type=AudienceType(item["type"]),
        icon_name=item["iconName"],
        metadata=item["metadata"],
        version=item["version"],
        group_id=item["groupId"],
        group_type=None if item["groupType"] is None else GroupType(item["groupType"]),
        group_name=item["groupName"],
        primary_sync_source_id=item["primarySyncSourceId"],
        last_refreshed_at=_instant(item["lastRefreshedAt"]),
        refresh_interval_seconds=item["refreshIntervalSeconds"],
        created_at=datetime.fromisoformat(item["createdAt"]),
        updated_at=datetime.fromisoformat(item["updatedAt"]),
        created_by=item["createdBy"],
        updated_by=item["updatedBy"],
        archived=item["archived"],
        rules=tuple(
            Rule(
                id=r["id"],
                audience_id=audience_id,
                field=r["field"],
                operator=Operator(r["operator"]),
                values=tuple(r["values"]),
                group_id=r["groupId"],
                position=r["position"],
            )
            for r in item["rules"]
        ),
    )

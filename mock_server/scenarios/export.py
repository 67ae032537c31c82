"""The current world as a scenario file (`GET /_mock/scenario`): what each organization holds, in the
order the loader makes it, so loading the export into a fresh mock at the same clock gives the same world.

What a scenario cannot say is left out and named in `notes` (a CSV uploaded through the API is not kept,
so only its members travel; a fault rule for one tenant names a key the mock does not keep).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mock_server.domain.audiences import Audience, AudienceType, GroupType
from mock_server.domain.imports import ImportStatus
from mock_server.domain.kernel import isoformat
from mock_server.domain.world import Organization
from mock_server.scenarios.builder import EVERY_NEW

if TYPE_CHECKING:
    from mock_server.state import MockState

_SYNC_STATUS = {"PENDING": "PENDING", "SYNCING": "PENDING", "SUCCESS": "SUCCESS", "FAILED": "FAILED"}


def export_scenario(state: MockState) -> dict[str, Any]:
    world = state.world
    notes: list[str] = []
    organizations: list[dict[str, Any]] = [dict(e.spec) for e in state.scenarios.templates]
    for tenant_hash, org in world.organizations():
        organizations.append(_organization(tenant_hash, org, world.consumers_per_org, state, notes))
    faults = []
    for rule in state.faults.rules:
        if rule.key_tag is not None:
            notes.append(f"fault rule {rule.id} is for one tenant: not exported (the mock keeps no key)")
            continue
        item = {
            "operationId": rule.operation_id,
            "latencyMs": rule.latency_ms or None,
            "times": rule.remaining,
        }
        if rule.example is not None:
            item["example"] = rule.example.name
        else:
            item["status"], item["error"] = rule.status, rule.error
        faults.append({k: v for k, v in item.items() if v is not None})
    scenario: dict[str, Any] = {
        "scenario": 1,
        "seed": world.seed,
        "consumers": world.consumers_per_org,
        "clock": {"now": isoformat(world.clock.now()), "running": world.clock.running},
    }
    if faults:
        scenario["faults"] = faults
    scenario["organizations"] = organizations
    if notes:
        scenario["notes"] = notes
    return scenario


def _progression(policy: dict[str, Any]) -> dict[str, Any]:
    """A job policy as a scenario names it: its mode and the one field that mode reads (the domain keeps
    `reads` and `seconds` on every policy, 0 where unused; the Scenario schema refuses `reads: 0`)."""
    mode = policy["mode"]
    field = {"afterReads": "reads", "afterSeconds": "seconds"}.get(mode)
    return {"mode": mode, field: policy[field]} if field else {"mode": mode}


def _organization(
    tenant_hash: str, org: Organization, seeded: int, state: MockState, notes: list[str]
) -> dict[str, Any]:
    modules = org
    out: dict[str, Any] = {"keyHash": tenant_hash}
    policies = modules.jobs.export()["policies"]  # only the ones set: an unset policy follows the default
    if policies:
        out["progression"] = {kind: _progression(policy) for kind, policy in policies.items()}
    live = sorted(org.audiences.live(), key=lambda a: a.id)  # ids grow in creation order
    plain = [
        a
        for a in live
        if a.group_type is not GroupType.SEGMENTED_VALUE and a.type is not AudienceType.SYNCED_LIST
    ]
    audiences = [_audience(org, modules, a, seeded, state, notes) for a in plain]
    tiers = _tier_groups(a for a in live if a.group_type is GroupType.SEGMENTED_VALUE)
    synced = [_synced(modules, a) for a in live if a.type is AudienceType.SYNCED_LIST]
    experiences = [_experience(e) for e in sorted(modules.experiences.experiences(), key=lambda e: e.id)]
    for name, items in (("audiences", audiences), ("tierGroups", tiers), ("syncedLists", synced)):
        if items:
            out[name] = items
    if experiences:
        out["experiences"] = experiences
    return out


def _audience(
    org: Organization,
    modules: Organization,
    audience: Audience,
    seeded: int,
    state: MockState,
    notes: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": audience.name, "type": audience.type.value}
    for key, value in (
        ("description", audience.description),
        ("iconName", audience.icon_name),
        ("metadata", None if audience.metadata is None else dict(audience.metadata)),
    ):
        if value is not None:
            out[key] = value
    if audience.type is AudienceType.DYNAMIC:
        out["rules"] = _rules(audience)
        return out
    imports = []
    for record in modules.imports.for_audience(audience.id):
        item: dict[str, Any] = {"status": record.status.value}
        if record.status is not ImportStatus.PENDING:
            csv_text = state.scenarios.uploads.get(record.id)
            if csv_text is None:
                notes.append(
                    f"import {record.id} of {audience.name!r} was uploaded through the API: its CSV is "
                    "not kept, only the members it added are listed"
                )
                continue
            item["csv"] = csv_text
            if record.failure_reason is not None:
                item["reason"] = record.failure_reason
        imports.append(item)
    if imports:
        out["imports"] = imports
    positions = [int(p) for p in org.members.positions(audience.id)]
    if positions:
        out["members"] = [_member(r, seeded) for r in org.consumers.records(sorted(positions))]
    return out


def _member(record: Any, seeded: int) -> Any:
    """By identifier; a consumer the seed did not make also carries its name (to be made again)."""
    if record.position < seeded and record.email:
        return record.email
    out = {}
    for key, value in (("email", record.email), ("phone", record.phone), ("externalId", record.external_id)):
        if value:
            out[key] = value
            if record.position < seeded:
                break
    if record.position >= seeded and record.full_name:
        out["fullName"] = record.full_name
    return out


def _rules(audience: Audience) -> list[dict[str, Any]]:
    """The guide's rule inputs. The group the server assigned (rules sent without a groupId; a UUIDv7 from
    the organization's ids) is left for the server to assign again; any other group keeps its id."""
    assigned = next((r.group_id for r in audience.rules if _is_v7(r.group_id)), None)
    out = []
    for rule in audience.rules:
        item: dict[str, Any] = {
            "field": rule.field,
            "operator": str(rule.operator),
            "values": list(rule.values),
        }
        if rule.group_id != assigned:
            item["groupId"] = rule.group_id
        item["position"] = rule.position
        out.append(item)
    return out


def _is_v7(value: str | None) -> bool:
    try:
        return value is not None and UUID(value).version == 7
    except ValueError:
        return False


def _tier_groups(tiers: Iterable[Audience]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for audience in tiers:
        meta = dict(audience.metadata or {})
        group = groups.setdefault(
            str(audience.group_id),
            {"groupName": audience.group_name, "attribute": meta.get("tierAttribute"), "tiers": []},
        )
        bounds = meta.get("tierBoundaries") or {}
        tier: dict[str, Any] = {
            "name": audience.name,
            "startValue": bounds.get("min"),
            "order": meta.get("tierOrder"),
        }
        if bounds.get("max") is not None:
            tier["endValue"] = bounds["max"]
        if audience.icon_name is not None:
            tier["iconName"] = audience.icon_name
        group["tiers"].append(tier)
    return list(groups.values())


def _synced(modules: Organization, audience: Audience) -> dict[str, Any]:
    source = modules.sync.source_for(audience.id)
    if source is None:
        return {"listId": audience.name}
    out: dict[str, Any] = {"listId": source.external_id}
    if source.vendor is not None:
        out["vendor"] = source.vendor.value
    out["status"] = _SYNC_STATUS[source.status.value]
    if source.failure_reason is not None and out["status"] == "FAILED":
        out["reason"] = source.failure_reason
    return out


def _experience(experience: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": experience.name, "slug": experience.slug}
    for key, value in (
        ("openAt", experience.open_at),
        ("closeAt", experience.close_at),
    ):
        if value is not None:
            out[key] = isoformat(value)
    for key, attribute in (("timeZone", "time_zone"), ("i18n", "i18n"), ("theme", "theme")):
        value = getattr(experience, attribute, None)
        if value:
            out[key] = dict(value) if isinstance(value, dict) else value
    return out


__all__ = ["EVERY_NEW", "export_scenario"]

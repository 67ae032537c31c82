"""Control-plane reads of the organizations, for the dashboard (which knows no secret key): every
organization, one organization's audiences, imports, syncs and experiences, an audience's members, and
forced job outcomes by organization id. Reads settle jobs with the clock but never count as a status read."""

from __future__ import annotations

from typing import Any, Protocol

from mock_server.control.handlers import queue_outcome
from mock_server.domain.audiences import AudienceStatus, PageRequest
from mock_server.domain.imports import AudienceImport, JobKind
from mock_server.domain.kernel import NotFound, isoformat
from mock_server.domain.world import Organization
from mock_server.handlers.tenancy import Served
from mock_server.web.calls import Call, Reply


class Dashboarded(Served, Protocol):
    """What these reads need from `call.state`: the world, and how to name a tenant."""

    def tenant_label(self, tenant_hash: str) -> str: ...


def _state(call: Call) -> Dashboarded:
    return call.state  # type: ignore[no-any-return]


def _organization(call: Call) -> tuple[str, Organization]:
    """(tenant hash, organization) for the path's organization id."""
    wanted = call.path_params["organizationId"]
    for tenant_hash, org in _state(call).world.organizations():
        if org.id == wanted:
            return tenant_hash, org
    raise NotFound("Organization", wanted)


def _instant(value: Any) -> str | None:
    return None if value is None else isoformat(value)


async def list_organizations(call: Call) -> Reply:
    state = _state(call)
    return Reply(
        200,
        {
            "organizations": [
                {
                    "id": org.id,
                    "tenant": state.tenant_label(tenant_hash),
                    "audiences": len(org.audiences.live()),
                    "experiences": len(org.experiences.experiences()),
                }
                for tenant_hash, org in state.world.organizations()
            ]
        },
    )


async def organization(call: Call) -> Reply:
    tenant_hash, org = _organization(call)
    modules = org
    modules.sync.refresh_all(modules.sync_host)
    audiences: list[dict[str, Any]] = []
    imports: list[dict[str, Any]] = []
    for audience in sorted(org.audiences.live(), key=lambda a: a.id):  # ids grow in creation order
        records = [modules.imports.refresh(record.id) for record in modules.imports.for_audience(audience.id)]
        imports.extend(_import(record) for record in records)
        audiences.append(
            {
                "id": audience.id,
                "name": audience.name,
                "type": audience.type.value,
                "count": org.members.count(audience.id).count,
                "status": _audience_status(org.members.status(audience.id), records),
                "version": audience.version,
                "groupId": audience.group_id,
            }
        )
    book = modules.experiences
    return Reply(
        200,
        {
            "id": org.id,
            "tenant": _state(call).tenant_label(tenant_hash),
            "now": isoformat(org.clock.now()),
            "audiences": audiences,
            "imports": imports,
            "syncs": [_sync(source) for source in modules.sync.sources() if not source.archived],
            "experiences": [
                {
                    "id": e.id,
                    "name": e.name,
                    "slug": e.slug,
                    "status": book.status(e).value,
                    "openAt": _instant(e.open_at),
                    "closeAt": _instant(e.close_at),
                }
                for e in book.experiences()
            ],
            "progression": {
                kind.value: {"kind": kind.value, **modules.jobs.progression(kind).to_json()}
                for kind in JobKind
            },
            "forced": {kind.value: len(modules.jobs.forced_queue(kind)) for kind in JobKind},
        },
    )


def _audience_status(status: AudienceStatus, imports: list[AudienceImport]) -> str:
    """One word for the dashboard: failed, syncing, importing, stale or ready."""
    sync = status.sync_status
    if sync is not None and sync.value == "FAILED":
        return "failed"
    if status.in_progress or (sync is not None and sync.value == "PENDING"):
        return "syncing"
    if any(i.job_id is not None and i.status.value in ("PENDING", "PROCESSING") for i in imports):
        return "importing"  # uploaded, still being processed (a PENDING import waits for its upload)
    return "stale" if status.stale else "ready"


def _import(record: AudienceImport) -> dict[str, Any]:
    return {
        "id": record.id,
        "audienceId": record.audience_id,
        "status": record.status.value,
        "totalConsumers": record.total_consumers,
        "processedConsumers": record.processed_consumers,
        "reason": record.failure_reason,
        "errors": [{"row": e.row, "issues": list(e.issues)} for e in record.errors],
    }


def _sync(source: Any) -> dict[str, Any]:
    return {
        "id": source.id,
        "audienceId": source.audience_id,
        "vendor": source.vendor.value if source.vendor is not None else source.source_type,
        "listId": source.external_id,
        "status": source.status.value,
        "error": source.failure_reason,
        "lastSyncedAt": _instant(source.last_synced_at),
    }


async def members(call: Call) -> Reply:
    _, org = _organization(call)
    query = call.query
    request = PageRequest(first=query.get("first", 20), after=query.get("after"), search=query.get("search"))
    page = org.members.records_of(org.members.position_page(call.path_params["audienceId"], request))
    data = [
        {
            "id": r.id,
            "email": r.email,
            "phone": r.phone,
            "fullName": r.full_name,
            "externalId": r.external_id,
            "totalOrders": r.total_orders,
        }
        for r in page.items
    ]
    total = None if query.get("search") else org.members.count(call.path_params["audienceId"]).count
    return Reply(
        200,
        {
            "data": data,
            "pageInfo": {"hasNextPage": page.end_cursor is not None, "endCursor": page.end_cursor},
            "total": total,
        },
    )


async def force_outcome(call: Call) -> Reply:
    return queue_outcome(_organization(call)[1].jobs, call)

"""Rendering of an audience's background work (CSV imports and sync sources), shared by both dialects:
they differ only in the spelling of a finished import and in a few keys each one adds."""

from __future__ import annotations

from typing import Any

from mock_server.domain.imports import AudienceImport, ImportStatus
from mock_server.domain.sync import SyncSource, SyncState
from mock_server.views.wire import ts


def audience_import(record: AudienceImport, *, completed: str, reference: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": record.id,
        "audienceId": record.audience_id,
        "status": completed if record.status is ImportStatus.COMPLETED else record.status.value,
        "s3Key": record.s3_key,
        "createdAt": ts(record.created_at),
        "updatedAt": ts(record.updated_at),
        "progress": record.progress,
        "totalConsumers": record.total_consumers,
        "processedConsumers": record.processed_consumers,
        "errorCount": record.error_count,
        "errors": [{"row": e.row, "issues": list(e.issues)} for e in record.errors],
    }
    if reference:
        out.update(
            organizationId=record.organization_id,
            createdBy=record.created_by,
            updatedBy=record.updated_by,
            archived=record.archived,
        )
    return out


def sync_status(source: SyncSource) -> str:
    """Both docs know PENDING, SUCCESS and FAILED; a sync in progress shows as PENDING."""
    return SyncState.PENDING.value if source.status is SyncState.SYNCING else source.status.value


def sync_source(source: SyncSource, *, reference: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": source.id,
        "syncSource": source.source_type,
        "syncSourceId": source.external_id,
        "syncStatus": sync_status(source),
        "lastSyncedAt": ts(source.last_synced_at),
        "sourceData": source.source_data,
        "createdAt": ts(source.created_at),
        "updatedAt": ts(source.updated_at),
    }
    if reference:
        out.update(
            organizationId=source.organization_id,
            createdBy=source.created_by,
            updatedBy=source.updated_by,
            archived=source.archived,
        )
    return out

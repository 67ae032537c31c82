"""A sync source (where a synced list comes from, and its last sync) and the sync status table.

Domain status PENDING -> SYNCING -> SUCCESS | FAILED (SYNCING is the Klaviyo page's "in progress"). Both
route families' schemas only know PENDING | SUCCESS | FAILED, so views render SYNCING as `PENDING`; the
audience `/status` shows the difference as `inProgress: true`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any

from mock_server.domain.imports import RowError, instant_in, instant_out
from mock_server.domain.kernel import IllegalTransition
from mock_server.domain.sync.catalogue import Vendor


class SyncState(Enum):
    PENDING = "PENDING"
    SYNCING = "SYNCING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class SyncEvent(Enum):
    START = "start"
    SUCCEED = "succeed"
    FAIL = "fail"
    RESYNC = "resync"


SYNC_TRANSITIONS: Mapping[tuple[SyncState, SyncEvent], SyncState] = MappingProxyType(
    {
        (SyncState.PENDING, SyncEvent.START): SyncState.SYNCING,
        (SyncState.SYNCING, SyncEvent.SUCCEED): SyncState.SUCCESS,
        (SyncState.SYNCING, SyncEvent.FAIL): SyncState.FAILED,
        (SyncState.SUCCESS, SyncEvent.RESYNC): SyncState.PENDING,
        (SyncState.FAILED, SyncEvent.RESYNC): SyncState.PENDING,
    }
)

IN_PROGRESS = frozenset({SyncState.PENDING, SyncState.SYNCING})


class SyncInProgress(IllegalTransition):
    """Re-sync while a sync is pending or running: the table has no RESYNC from there (a 409 in the guide)."""

    def __init__(self, from_state: str) -> None:
        super().__init__("sync", from_state, SyncEvent.RESYNC.value)
        self.message = "Sync already in progress"
        self.args = (self.message,)


def sync_transition(status: SyncState, event: SyncEvent) -> SyncState:
    try:
        return SYNC_TRANSITIONS[status, event]
    except KeyError:
        if event is SyncEvent.RESYNC and status in IN_PROGRESS:
            raise SyncInProgress(status.value) from None
        raise IllegalTransition("sync", status.value, event.value) from None


def vendor_of(source_type: str) -> Vendor | None:
    """`klaviyo:list` -> KLAVIYO; what the fake catalogue does not serve (`klaviyo:profile`...) -> None."""
    return next((v for v in Vendor if v.list_source_type == source_type), None)


@dataclass(slots=True)
class SyncSource:
    """Where a synced list comes from (`external_id` is the schema's `syncSourceId`) and its last sync."""

    id: str
    organization_id: str
    source_type: str  # the schema's `syncSource`: `klaviyo:list`, `mailchimp:list`, `sendgrid:list`
    external_id: str
    list_name: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str | None = None
    audience_id: str | None = None
    status: SyncState = SyncState.PENDING
    last_synced_at: datetime | None = None
    archived: bool = False
    job_id: str | None = None
    applied_job_id: str | None = None  # the job whose profiles were applied: each job applies once
    failure_reason: str | None = None
    errors: tuple[RowError, ...] = ()  # profiles skipped by a forced partial outcome (row = 1-based position)
    consumers_created: int = 0
    consumers_updated: int = 0
    synced_profiles: int = 0
    given_source_data: Mapping[str, Any] | None = None

    @property
    def vendor(self) -> Vendor | None:
        return vendor_of(self.source_type)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "organizationId": self.organization_id,
            "sourceType": self.source_type,
            "externalId": self.external_id,
            "listName": self.list_name,
            "createdAt": instant_out(self.created_at),
            "createdBy": self.created_by,
            "updatedAt": instant_out(self.updated_at),
            "updatedBy": self.updated_by,
            "audienceId": self.audience_id,
            "status": self.status.value,
            "lastSyncedAt": instant_out(self.last_synced_at),
            "archived": self.archived,
            "jobId": self.job_id,
            "appliedJobId": self.applied_job_id,
            "failureReason": self.failure_reason,
            "errors": [e.to_json() for e in self.errors],
            "consumersCreated": self.consumers_created,
            "consumersUpdated": self.consumers_updated,
            "syncedProfiles": self.synced_profiles,
            "givenSourceData": dict(self.given_source_data) if self.given_source_data else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SyncSource:
        created_at, updated_at = instant_in(data["createdAt"]), instant_in(data["updatedAt"])
        assert created_at is not None and updated_at is not None
        return cls(
            id=data["id"],
            organization_id=data["organizationId"],
            source_type=data["sourceType"],
            external_id=data["externalId"],
            list_name=data["listName"],
            created_at=created_at,
            created_by=data["createdBy"],
            updated_at=updated_at,
            updated_by=data["updatedBy"],
            audience_id=data["audienceId"],
            status=SyncState(data["status"]),
            last_synced_at=instant_in(data["lastSyncedAt"]),
            archived=data["archived"],
            job_id=data["jobId"],
            applied_job_id=data["appliedJobId"],
            failure_reason=data["failureReason"],
            errors=tuple(RowError.from_json(e) for e in data["errors"]),
            consumers_created=data["consumersCreated"],
            consumers_updated=data["consumersUpdated"],
            synced_profiles=data["syncedProfiles"],
            given_source_data=data["givenSourceData"],
        )

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def source_data(self) -> dict[str, Any]:
        """`sourceData` as shown: what the client gave, plus the list's name and vendor."""
        vendor = self.vendor
        data = dict(self.given_source_data or {})
        data["listName"] = self.list_name
        data["vendor"] = vendor.value if vendor else self.source_type.split(":", 1)[0]
        return data

"""Synced lists: ESP list imports, an organization's book of sync sources, re-sync, and applying a
finished sync to consumers. The source entity and the status table are in `sync_source` (importable from
here too, where the views take them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from mock_server.domain.audiences import AudienceSyncStatus
from mock_server.domain.imports import (
    ConsumerDirectory,
    ForcedKind,
    Job,
    JobBoard,
    JobKind,
    JobStatus,
    RowError,
    follow_path,
    upsert_consumer,
)
from mock_server.domain.kernel import Clock, IdFactory, Invalid, NotFound
from mock_server.domain.sync.catalogue import Catalogue, Vendor
from mock_server.domain.sync.source import SyncEvent, sync_transition, vendor_of
from mock_server.domain.sync.source import SyncSource as SyncSource  # re-exported: views take it from here
from mock_server.domain.sync.source import SyncState as SyncState  # re-exported: views take it from here


class NotASyncedList(Invalid):
    """Re-sync of an audience whose type is not SYNCED_LIST (a 400 in the guide)."""

    def __init__(self) -> None:
        super().__init__("Audience is not a synced list")


class NoSyncSource(Invalid):
    """Re-sync of a SYNCED_LIST audience with no source to sync from (a 400 in the guide)."""

    def __init__(self) -> None:
        super().__init__("Audience has no sync source")


#: Skip reasons in a list import's `skipped` entries.
ALREADY_SYNCED = "Already synced"
LIST_NOT_FOUND = "List not found"


class SyncHost(Protocol):
    """What a SyncBook needs from the Organization, which owns consumers and audiences."""

    def consumer_directory(self) -> ConsumerDirectory: ...

    def replace_members(self, audience_id: str, positions: Sequence[int]) -> None:
        """A synced list's members are its list's profiles: each successful sync replaces them wholesale."""
        ...

    def create_synced_list(self, source: SyncSource, *, created_by: str) -> str:
        """Create a SYNCED_LIST audience named `source.list_name` with `source.id` as its primary source."""
        ...

    def audience_is_live(self, audience_id: str) -> bool:
        """False once the audience is deleted (archived): its list may then be imported again."""
        ...


@dataclass(frozen=True, slots=True)
class ImportedList:
    """A list import accepted. Views add `status: "PENDING"`, the documented constant of that response."""

    list_id: str
    sync_source_id: str
    audience_id: str


@dataclass(frozen=True, slots=True)
class SkippedList:
    list_id: str
    reason: str
    existing_audience_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListImportResult:
    imported: tuple[ImportedList, ...]
    skipped: tuple[SkippedList, ...]


@dataclass(slots=True)
class SyncBook:
    """One organization's sync sources, with their jobs on the shared JobBoard."""

    organization_id: str
    clock: Clock
    ids: IdFactory
    jobs: JobBoard
    catalogue: Catalogue
    _sources: dict[str, SyncSource] = field(default_factory=dict)
    _by_audience: dict[str, str] = field(default_factory=dict)

    # -- reads ----------------------------------------------------------------------------------------

    def get(self, source_id: str) -> SyncSource:
        source = self._sources.get(source_id)
        if source is None or source.archived:
            raise NotFound("Sync source", source_id)
        return source

    def sources(self) -> list[SyncSource]:
        return [s for s in self._sources.values() if not s.archived]

    def source_for(self, audience_id: str) -> SyncSource | None:
        """The audience's primary sync source as it stands (no progression: see `observe`)."""
        source_id = self._by_audience.get(audience_id)
        source = self._sources.get(source_id) if source_id else None
        return None if source is None or source.archived else source

    def sync_status(self, audience_id: str) -> tuple[AudienceSyncStatus | None, datetime | None]:
        """The audience-level view (Organization's SyncStatusSource): SYNCING shows as PENDING."""
        source = self.source_for(audience_id)
        if source is None:
            return None, None
        shown = AudienceSyncStatus.PENDING if source.in_progress else AudienceSyncStatus(source.status.value)
        return shown, source.last_synced_at

    def observe(self, audience_id: str, host: SyncHost) -> SyncSource | None:
        """A status read of the audience's sync: advances an `after_reads` job by one read."""
        return self._settle(audience_id, host, read=True)

    def refresh(self, audience_id: str, host: SyncHost) -> SyncSource | None:
        """Catch up with the clock without counting a read."""
        return self._settle(audience_id, host, read=False)

    def refresh_all(self, host: SyncHost) -> None:
        for audience_id in list(self._by_audience):
            self._settle(audience_id, host, read=False)

    # -- writes ---------------------------------------------------------------------------------------

    def import_lists(
        self, vendor: Vendor, list_ids: Sequence[str], host: SyncHost, *, created_by: str
    ) -> ListImportResult:
        """Import vendor lists as SYNCED_LIST audiences, each with a sync source and a PENDING sync job.

        An unknown list is skipped ("List not found") rather than failing the batch: the other lists of the
        request still import, as the response's imported/skipped split suggests. A list that already
        backs a live audience is skipped ("Already synced", with that audience), a repeat in one request too.
        """
        imported: list[ImportedList] = []
        skipped: list[SkippedList] = []
        for list_id in list_ids:
            found = self.catalogue.find_list(vendor, list_id)
            if found is None:
                skipped.append(SkippedList(list_id, LIST_NOT_FOUND))
                continue
            existing = self._live_source_of(vendor.list_source_type, list_id, host)
            if existing is not None:
                skipped.append(SkippedList(list_id, ALREADY_SYNCED, existing.audience_id))
                continue
            source = self._new_source(vendor.list_source_type, list_id, found.name, created_by, None)
            try:
                audience_id = host.create_synced_list(source, created_by=created_by)
            except BaseException:
                source.archived = True  # no orphan source if the Organization refuses the audience
                raise
            self._bind(source, audience_id)
            self._start(source, host)
            imported.append(ImportedList(list_id, source.id, audience_id))
        return ListImportResult(tuple(imported), tuple(skipped))

    def attach(
        self,
        audience_id: str,
        source_type: str,
        external_id: str,
        host: SyncHost,
        *,
        created_by: str,
        source_data: Mapping[str, Any] | None = None,
    ) -> SyncSource:
        """Give an audience a sync source (a SYNCED_LIST created with `primarySyncSource`) and start syncing.

        A source type or list the catalogue does not have is accepted; its sync then FAILS with the reason.
        """
        vendor = vendor_of(source_type)
        found = self.catalogue.find_list(vendor, external_id) if vendor else None
        name = found.name if found else _given_name(source_data)
        source = self._new_source(source_type, external_id, name, created_by, source_data)
        self._bind(source, audience_id)
        self._start(source, host)
        return source

    def resync(
        self, audience_id: str, *, is_synced_list: bool, host: SyncHost, updated_by: str
    ) -> SyncSource:
        """Start a new sync of the audience's list (POST .../sync); raises the guide's 400s and 409."""
        if not is_synced_list:
            raise NotASyncedList()
        source = self.source_for(audience_id)
        if source is None:
            raise NoSyncSource()
        self._settle(audience_id, host, read=False)  # a time-based sync may have finished meanwhile
        source.status = sync_transition(source.status, SyncEvent.RESYNC)
        source.updated_by = updated_by
        self._start(source, host)
        return source

    def export(self) -> dict[str, Any]:
        """JSON-able state; `restore` rebuilds it exactly (the catalogue is regenerated from the seed)."""
        return {
            "sources": [s.to_json() for s in self._sources.values()],
            "byAudience": dict(self._by_audience),
        }

    @classmethod
    def restore(
        cls,
        data: Mapping[str, Any],
        organization_id: str,
        clock: Clock,
        ids: IdFactory,
        jobs: JobBoard,
        catalogue: Catalogue,
    ) -> SyncBook:
        book = cls(organization_id, clock, ids, jobs, catalogue)
        for item in data.get("sources", ()):
            source = SyncSource.from_json(item)
            book._sources[source.id] = source
        book._by_audience.update(data.get("byAudience", {}))
        return book

    def archive_for_audience(self, audience_id: str) -> None:
        """The audience was deleted: its source goes too, so its list can be imported again."""
        source = self.source_for(audience_id)
        if source is not None:
            source.archived = True
            source.updated_at = self.clock.now()
        self._by_audience.pop(audience_id, None)

    # -- internals ------------------------------------------------------------------------------------

    def _new_source(
        self,
        source_type: str,
        external_id: str,
        name: str | None,
        created_by: str,
        source_data: Mapping[str, Any] | None,
    ) -> SyncSource:
        now = self.clock.now()
        source = SyncSource(
            id=self.ids.new(),
            organization_id=self.organization_id,
            source_type=source_type,
            external_id=external_id,
            list_name=name,
            created_at=now,
            created_by=created_by,
            updated_at=now,
            given_source_data=dict(source_data) if source_data else None,
        )
        self._sources[source.id] = source
        return source

    def _bind(self, source: SyncSource, audience_id: str) -> None:
        previous = self.source_for(audience_id)
        if previous is not None and previous is not source:
            previous.archived = True  # an audience has one primary source; a new one replaces it
        source.audience_id = audience_id
        self._by_audience[audience_id] = source.id

    def _live_source_of(self, source_type: str, external_id: str, host: SyncHost) -> SyncSource | None:
        for source in self._sources.values():
            if source.archived or source.source_type != source_type or source.external_id != external_id:
                continue
            if source.audience_id is not None and host.audience_is_live(source.audience_id):
                return source
            # Its audience was deleted behind our back: retire the source so the list can come back.
            source.archived = True
        return None

    def _start(self, source: SyncSource, host: SyncHost) -> None:
        vendor = source.vendor
        if vendor is None:
            failure: str | None = f"Unsupported sync source: {source.source_type}"
        elif self.catalogue.find_list(vendor, source.external_id) is None:
            failure = LIST_NOT_FOUND
        else:
            failure = None
        forced = self.jobs.take_forced(JobKind.SYNC)
        job = self.jobs.submit(JobKind.SYNC, source.id, forced=forced, failure=failure)
        source.job_id = job.id
        source.failure_reason = None
        source.errors = ()
        source.updated_at = self.clock.now()
        self._follow(source, job, host)

    def _settle(self, audience_id: str, host: SyncHost, *, read: bool) -> SyncSource | None:
        source = self.source_for(audience_id)
        if source is None or source.job_id is None:
            return source
        job = self.jobs.observe(source.job_id) if read else self.jobs.refresh(source.job_id)
        self._follow(source, job, host)
        return source

    def _follow(self, source: SyncSource, job: Job, host: SyncHost) -> None:
        before = source.status
        source.status = follow_path(source.status, _PATHS[job.status], sync_transition)
        if source.status is before:
            return
        source.updated_at = self.clock.now()
        if source.status is SyncState.FAILED:
            source.failure_reason = job.failure_reason
            if job.forced is not None and job.forced.kind is ForcedKind.FAIL:
                source.errors = job.forced.row_errors
        elif source.status is SyncState.SUCCESS and source.applied_job_id != job.id:
            self._apply(source, job, host)

    def _apply(self, source: SyncSource, job: Job, host: SyncHost) -> None:
        """The list's profiles become consumers (de-duplicated like CSV rows) and the audience's members."""
        vendor = source.vendor
        assert vendor is not None and source.audience_id is not None  # a job without them fails at start
        skipped = {e.row: e for e in job.forced.row_errors} if job.forced else {}
        directory = host.consumer_directory()
        positions: list[int] = []
        created = updated = 0
        errors: list[RowError] = []
        for number, profile in enumerate(self.catalogue.profiles(vendor, source.external_id), start=1):
            if number in skipped:
                errors.append(skipped[number])
                continue
            position, was_created = upsert_consumer(
                directory,
                email=profile.email,
                phone=profile.phone,
                external_id=profile.id,  # the profile id becomes the consumer's primaryExternalId
                full_name=profile.full_name,
            )
            positions.append(position)
            created += was_created
            updated += not was_created
        host.replace_members(source.audience_id, positions)
        source.applied_job_id = job.id
        source.last_synced_at = self.clock.now()
        source.consumers_created, source.consumers_updated = created, updated
        source.synced_profiles = len(positions)
        source.errors = tuple(errors)


def _given_name(source_data: Mapping[str, Any] | None) -> str | None:
    name = (source_data or {}).get("listName")
    return name if isinstance(name, str) else None


# The moves that take a sync source to its job's state, as (event, state reached) pairs.
_PATHS: Mapping[JobStatus, tuple[tuple[SyncEvent, SyncState], ...]] = MappingProxyType(
    {
        JobStatus.PENDING: (),
        JobStatus.RUNNING: ((SyncEvent.START, SyncState.SYNCING),),
        JobStatus.SUCCEEDED: ((SyncEvent.START, SyncState.SYNCING), (SyncEvent.SUCCEED, SyncState.SUCCESS)),
        JobStatus.FAILED: ((SyncEvent.START, SyncState.SYNCING), (SyncEvent.FAIL, SyncState.FAILED)),
    }
)

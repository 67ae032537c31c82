"""CSV audience imports: the AudienceImport entity, its status table, and an organization's book of them.

One domain status set, PENDING -> PROCESSING -> COMPLETED | FAILED. Views render COMPLETED as `COMPLETED`
on /api (the reference) and as `SUCCESS` on /api/v1 (the guide); the other three are spelled alike.
"""

from __future__ import annotations

from collections.abc import Generator, KeysView, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any

from mock_server.domain.imports.csv_records import DEFAULT_LIMITS, Limits
from mock_server.domain.imports.csv_rows import RowError
from mock_server.domain.imports.directory import ConsumerDirectory, MemberSink
from mock_server.domain.imports.importer import ChunkSource, ImportOutcome, import_steps
from mock_server.domain.imports.jobs import (
    Job,
    JobBoard,
    JobKind,
    JobStatus,
    follow_path,
    instant_in,
    instant_out,
)
from mock_server.domain.kernel import Clock, Conflict, IdFactory, IllegalTransition, NotFound, finish


class ImportStatus(Enum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ImportEvent(Enum):
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"


IMPORT_TRANSITIONS: Mapping[tuple[ImportStatus, ImportEvent], ImportStatus] = MappingProxyType(
    {
        (ImportStatus.PENDING, ImportEvent.START): ImportStatus.PROCESSING,
        (ImportStatus.PROCESSING, ImportEvent.COMPLETE): ImportStatus.COMPLETED,
        (ImportStatus.PROCESSING, ImportEvent.FAIL): ImportStatus.FAILED,
    }
)


def import_transition(status: ImportStatus, event: ImportEvent) -> ImportStatus:
    try:
        return IMPORT_TRANSITIONS[status, event]
    except KeyError:
        raise IllegalTransition("import", status.value, event.value) from None


class ImportAlreadyUploaded(Conflict):
    """A second upload for one import: each import takes exactly one file (create a new import instead)."""

    def __init__(self) -> None:
        super().__init__("Import already uploaded")


@dataclass(slots=True)
class AudienceImport:
    """One CSV import into one audience; progress fields derive from the status and the job's fraction."""

    id: str
    organization_id: str
    audience_id: str
    s3_key: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str | None = None
    status: ImportStatus = ImportStatus.PENDING
    archived: bool = False
    job_id: str | None = None
    outcome: ImportOutcome | None = None
    fraction: float = 0.0

    @property
    def progress(self) -> int:
        if self.status in (ImportStatus.COMPLETED, ImportStatus.FAILED):
            return 100
        return min(99, int(self.fraction * 100))

    @property
    def total_consumers(self) -> int | None:
        if self.outcome is None or self.status is ImportStatus.PENDING:
            return None
        return self.outcome.total_rows

    @property
    def processed_consumers(self) -> int:
        if self.outcome is None or self.status is ImportStatus.PENDING:
            return 0
        return self._scaled(self.outcome.processed)

    @property
    def errors(self) -> tuple[RowError, ...]:
        if self.outcome is None or self.status is ImportStatus.PENDING:
            return ()
        # Errors are in row order, so while processing the visible prefix is "the errors found so far".
        return self.outcome.errors[: self._scaled(len(self.outcome.errors))]

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def failure_reason(self) -> str | None:
        return self.outcome.failure_reason if self.status is ImportStatus.FAILED and self.outcome else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "organizationId": self.organization_id,
            "audienceId": self.audience_id,
            "s3Key": self.s3_key,
            "createdAt": instant_out(self.created_at),
            "createdBy": self.created_by,
            "updatedAt": instant_out(self.updated_at),
            "updatedBy": self.updated_by,
            "status": self.status.value,
            "archived": self.archived,
            "jobId": self.job_id,
            "outcome": self.outcome.to_json() if self.outcome else None,
            "fraction": self.fraction,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AudienceImport:
        created_at, updated_at = instant_in(data["createdAt"]), instant_in(data["updatedAt"])
        assert created_at is not None and updated_at is not None
        return cls(
            id=data["id"],
            organization_id=data["organizationId"],
            audience_id=data["audienceId"],
            s3_key=data["s3Key"],
            created_at=created_at,
            created_by=data["createdBy"],
            updated_at=updated_at,
            updated_by=data["updatedBy"],
            status=ImportStatus(data["status"]),
            archived=data["archived"],
            job_id=data["jobId"],
            outcome=ImportOutcome.from_json(data["outcome"]) if data["outcome"] else None,
            fraction=data["fraction"],
        )

    def _scaled(self, final: int) -> int:
        if self.status in (ImportStatus.COMPLETED, ImportStatus.FAILED):
            return final
        return int(final * self.fraction)


@dataclass(slots=True)
class ImportBook:
    """One organization's CSV imports. Status moves with the import's job (see jobs.py)."""

    organization_id: str
    clock: Clock
    ids: IdFactory
    jobs: JobBoard
    limits: Limits = DEFAULT_LIMITS
    _imports: dict[str, AudienceImport] = field(default_factory=dict)
    _by_audience: dict[str, list[str]] = field(default_factory=dict)
    _uploading: set[str] = field(default_factory=set)  # uploads under way (sliced, see upload_steps)

    def create(self, audience_id: str, *, created_by: str) -> AudienceImport:
        now = self.clock.now()
        millis = int(now.timestamp() * 1000)
        record = AudienceImport(
            id=self.ids.new(),
            organization_id=self.organization_id,
            audience_id=audience_id,
            s3_key=f"imports/{self.organization_id}/{audience_id}/{millis}.csv",
            created_at=now,
            created_by=created_by,
            updated_at=now,
        )
        self._imports[record.id] = record
        self._by_audience.setdefault(audience_id, []).append(record.id)
        return record

    def get(self, import_id: str) -> AudienceImport:
        record = self._imports.get(import_id)
        if record is None or record.archived:
            raise NotFound("Import", import_id)
        return record

    def import_ids(self) -> KeysView[str]:
        """Every import's id, archived ones too."""
        return self._imports.keys()

    def for_audience(self, audience_id: str) -> list[AudienceImport]:
        """The audience's imports, oldest first."""
        records = (self._imports[i] for i in self._by_audience.get(audience_id, ()))
        return [r for r in records if not r.archived]

    def latest_for(self, audience_id: str) -> AudienceImport | None:
        imports = self.for_audience(audience_id)
        return imports[-1] if imports else None

    def upload(
        self,
        import_id: str,
        source: ChunkSource,
        directory: ConsumerDirectory,
        sink: MemberSink,
        *,
        updated_by: str | None = None,
    ) -> AudienceImport:
        """Process an uploaded file now; what clients see then follows the import job's progression.

        The rows are applied during the upload (the stream cannot be kept for later), so members may show
        up before the status says COMPLETED; a FAILED import never applies anything.
        """
        return finish(self.upload_steps(import_id, source, directory, sink, updated_by=updated_by))

    def upload_steps(
        self,
        import_id: str,
        source: ChunkSource,
        directory: ConsumerDirectory,
        sink: MemberSink,
        *,
        updated_by: str | None = None,
    ) -> Generator[None, None, AudienceImport]:
        """`upload` in slices (see `import_steps`); a second upload while one runs is refused too."""
        record = self.get(import_id)
        if record.job_id is not None or import_id in self._uploading:
            raise ImportAlreadyUploaded()
        forced = self.jobs.take_forced(JobKind.IMPORT)
        self._uploading.add(import_id)
        try:
            outcome = yield from import_steps(source, directory, sink, forced=forced, limits=self.limits)
        finally:
            self._uploading.discard(import_id)
        job = self.jobs.submit(JobKind.IMPORT, record.id, forced=forced, failure=outcome.failure_reason)
        record.job_id = job.id
        record.outcome = outcome
        record.updated_by = updated_by
        self._follow(record, job)
        return record

    def observe(self, import_id: str) -> AudienceImport:
        """A status read: advances an `after_reads` job by one read."""
        record = self.get(import_id)
        if record.job_id is not None:
            self._follow(record, self.jobs.observe(record.job_id))
        return record

    def refresh(self, import_id: str) -> AudienceImport:
        """Catch up with the clock without counting a read."""
        record = self.get(import_id)
        if record.job_id is not None:
            self._follow(record, self.jobs.refresh(record.job_id))
        return record

    def archive_for_audience(self, audience_id: str) -> None:
        """When an audience is deleted its imports go with it."""
        for record in self.for_audience(audience_id):
            record.archived = True

    def export(self) -> dict[str, Any]:
        """JSON-able state; `restore` rebuilds it exactly (the JobBoard is exported on its own)."""
        return {"imports": [record.to_json() for record in self._imports.values()]}

    @classmethod
    def restore(
        cls, data: Mapping[str, Any], organization_id: str, clock: Clock, ids: IdFactory, jobs: JobBoard
    ) -> ImportBook:
        book = cls(organization_id, clock, ids, jobs)
        for item in data.get("imports", ()):
            record = AudienceImport.from_json(item)
            book._imports[record.id] = record
            book._by_audience.setdefault(record.audience_id, []).append(record.id)
        return book

    def _follow(self, record: AudienceImport, job: Job) -> None:
        before = record.status
        record.status = follow_path(record.status, _PATHS[job.status], import_transition)
        record.fraction = job.fraction
        if record.status is not before:
            record.updated_at = job.updated_at or self.clock.now()


# The moves that take an import to its job's state, as (event, state reached) pairs.
_PATHS: Mapping[JobStatus, tuple[tuple[ImportEvent, ImportStatus], ...]] = MappingProxyType(
    {
        JobStatus.PENDING: (),
        JobStatus.RUNNING: ((ImportEvent.START, ImportStatus.PROCESSING),),
        JobStatus.SUCCEEDED: (
            (ImportEvent.START, ImportStatus.PROCESSING),
            (ImportEvent.COMPLETE, ImportStatus.COMPLETED),
        ),
        JobStatus.FAILED: (
            (ImportEvent.START, ImportStatus.PROCESSING),
            (ImportEvent.FAIL, ImportStatus.FAILED),
        ),
    }
)

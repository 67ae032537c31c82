"""CSV audience imports: the AudienceImport entity, its status table, and the two-pass streaming importer.

One domain status set, PENDING -> PROCESSING -> COMPLETED | FAILED. Views render COMPLETED as `COMPLETED`
on /api (the reference) and as `SUCCESS` on /api/v1 (the guide); the other three are spelled alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any, Protocol

from mock_server.domain.clock import Clock
from mock_server.domain.csv_rows import (
    DEFAULT_LIMITS,
    ImportFileRejected,
    JsonValue,
    Limits,
    RowError,
    iter_rows,
    scan_file,
)
from mock_server.domain.errors import Conflict, IllegalTransition, NotFound
from mock_server.domain.ids import IdFactory
from mock_server.domain.jobs import (
    ForcedKind,
    ForcedOutcome,
    Job,
    JobBoard,
    JobKind,
    JobStatus,
    follow_path,
    instant_in,
    instant_out,
)


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


# ---- what an import writes to ---------------------------------------------------------------------------


class ConsumerDirectory(Protocol):
    """The organization's consumers as an importer sees them. `ConsumerTable` fits it.

    Lookups must see consumers appended earlier in the same import (that is how in-file duplicates merge).
    `append` and `update` take these attributes: email, phone, external_id, full_name, loyalty_balance,
    metadata; `update` changes only what it is given. Emails are passed lowercased, phones in E.164.
    """

    def index_of_email(self, email: str) -> int | None: ...
    def index_of_phone(self, phone: str) -> int | None: ...
    def index_of_external_id(self, external_id: str) -> int | None: ...
    def metadata_of(self, position: int) -> Mapping[str, Any] | None: ...
    def append(self, **attrs: Any) -> int: ...
    def update(self, position: int, **attrs: Any) -> None: ...


class MemberSink(Protocol):
    """The target audience's membership; adding a position that is already a member is a no-op."""

    def add_members(self, positions: Iterable[int]) -> int: ...


def upsert_consumer(
    directory: ConsumerDirectory,
    *,
    email: str | None,
    phone: str | None,
    external_id: str | None,
    full_name: str | None = None,
    loyalty_balance: int | None = None,
    metadata: Mapping[str, JsonValue] | None = None,
) -> tuple[int, bool]:
    """Find the consumer by email, then phone, then externalId; update it or create one.

    Returns (position, created).
    """
    found = directory.index_of_email(email) if email else None
    if found is None and phone:
        found = directory.index_of_phone(phone)
    if found is None and external_id:
        found = directory.index_of_external_id(external_id)
    attrs: dict[str, Any] = {}
    if full_name is not None:
        attrs["full_name"] = full_name
    if loyalty_balance is not None:
        attrs["loyalty_balance"] = loyalty_balance
    if found is None:
        if metadata is not None:
            attrs["metadata"] = dict(metadata)
        position = directory.append(email=email, phone=phone, external_id=external_id, **attrs)
        return position, True
    # The row's identifiers win (that is "update"), except one another consumer holds: a row matched by
    # email whose phone belongs to someone else must not make two consumers share (or steal) that phone.
    for name, value, lookup in (
        ("email", email, directory.index_of_email),
        ("phone", phone, directory.index_of_phone),
        ("external_id", external_id, directory.index_of_external_id),
    ):
        if value and lookup(value) in (None, found):
            attrs[name] = value
    if metadata:
        attrs["metadata"] = {**(directory.metadata_of(found) or {}), **metadata}  # merge: keys given win
    if attrs:
        directory.update(found, **attrs)
    return found, False


# ---- the entity ---------------------------------------------------------------------------------------

#: A function returning a fresh iterator over the upload's bytes each time it is called (a spooled file
#: read in chunks, in practice). The importer reads it twice: once to check the file as a whole, once to
#: apply it, so that a file over a limit changes nothing, without ever holding the file in memory.
ChunkSource = Callable[[], Iterable[bytes]]

#: `row` 0 in `errors` means the file as a whole (a header problem, a limit, a forced failure).
FILE_ROW = 0
MEMBER_BATCH = 1024


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """The result the import will show once finished (it is computed at upload time; see ImportBook)."""

    total_rows: int | None  # data rows in the file; None when the file could not be read at all
    processed: int
    errors: tuple[RowError, ...]
    created: int = 0
    updated: int = 0
    failure_reason: str | None = None

    @classmethod
    def rejected(cls, reason: str, total_rows: int | None = None) -> ImportOutcome:
        return cls(total_rows, 0, (RowError(FILE_ROW, (reason,)),), failure_reason=reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "totalRows": self.total_rows,
            "processed": self.processed,
            "errors": [e.to_json() for e in self.errors],
            "created": self.created,
            "updated": self.updated,
            "failureReason": self.failure_reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportOutcome:
        return cls(
            data["totalRows"],
            data["processed"],
            tuple(RowError.from_json(e) for e in data["errors"]),
            data["created"],
            data["updated"],
            data["failureReason"],
        )


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


# ---- the importer -------------------------------------------------------------------------------------


def run_import(
    source: ChunkSource,
    directory: ConsumerDirectory,
    sink: MemberSink,
    *,
    forced: ForcedOutcome | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportOutcome:
    """Check the file (pass one), then apply every valid row (pass two). Nothing is applied on a failure."""
    try:
        scan = scan_file(source(), limits)
    except ImportFileRejected as rejected:
        return ImportOutcome.rejected(rejected.message)
    if forced is not None and forced.kind is ForcedKind.FAIL:
        reason = forced.reason or "Forced failure"
        reported = forced.row_errors or (RowError(FILE_ROW, (reason,)),)
        return ImportOutcome(scan.data_rows, 0, reported, failure_reason=reason)
    forced_rows = {e.row: e.issues for e in forced.row_errors} if forced is not None else {}
    errors: list[RowError] = []
    processed = created = updated = 0
    batch: list[int] = []
    try:
        rows = iter_rows(source(), limits)
        first = next(rows, None)
    except ImportFileRejected:
        raise ValueError("the upload source did not replay the same bytes on its second read") from None
    for item in itertools.chain((first,) if first is not None else (), rows):
        if forced_rows and item.row in forced_rows:
            # A forced partial outcome rejects rows that exist in the file (others are ignored), so the
            # accounting still adds up: processed + errors == data rows.
            issues = forced_rows[item.row]
            if isinstance(item, RowError):
                issues = item.issues + issues
            item = RowError(item.row, tuple(dict.fromkeys(issues)))
        if isinstance(item, RowError):
            errors.append(item)
            continue
        position, was_created = upsert_consumer(
            directory,
            email=item.email,
            phone=item.phone,
            external_id=item.external_id,
            full_name=item.full_name,
            loyalty_balance=item.loyalty_points,
            metadata=item.metadata,
        )
        processed += 1
        created += was_created
        updated += not was_created
        batch.append(position)
        if len(batch) >= MEMBER_BATCH:
            sink.add_members(batch)
            batch = []
    if batch:
        sink.add_members(batch)
    if processed + len(errors) != scan.data_rows:
        raise ValueError("the upload source did not replay the same bytes on its second read")
    return ImportOutcome(scan.data_rows, processed, tuple(errors), created, updated)


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
        record = self.get(import_id)
        if record.job_id is not None:
            raise ImportAlreadyUploaded()
        forced = self.jobs.take_forced(JobKind.IMPORT)
        outcome = run_import(source, directory, sink, forced=forced, limits=self.limits)
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


# ---- in-memory doubles (tests, the bench, and a reference for adapters) ---------------------------------


@dataclass(slots=True)
class MemoryDirectory:
    """A plain ConsumerDirectory: one dict per consumer, one index per identifier."""

    consumers: list[dict[str, Any]] = field(default_factory=list)
    _by: dict[str, dict[str, int]] = field(
        default_factory=lambda: {"email": {}, "phone": {}, "external_id": {}}
    )

    def index_of_email(self, email: str) -> int | None:
        return self._by["email"].get(email.lower())

    def index_of_phone(self, phone: str) -> int | None:
        return self._by["phone"].get(phone)

    def index_of_external_id(self, external_id: str) -> int | None:
        return self._by["external_id"].get(external_id)

    def metadata_of(self, position: int) -> Mapping[str, Any] | None:
        value = self.consumers[position].get("metadata")
        return value if isinstance(value, Mapping) else None

    def append(self, **attrs: Any) -> int:
        self.consumers.append({})
        position = len(self.consumers) - 1
        self.update(position, **attrs)
        return position

    def update(self, position: int, **attrs: Any) -> None:
        consumer = self.consumers[position]
        for name, index in self._by.items():
            if name in attrs:
                old, new = consumer.get(name), attrs[name]
                if old is not None:
                    index.pop(old.lower() if name == "email" else old, None)
                if new is not None:
                    index[new.lower() if name == "email" else new] = position
        consumer.update(attrs)


@dataclass(slots=True)
class MemorySink:
    """A MemberSink over a set of positions."""

    members: set[int] = field(default_factory=set)

    def add_members(self, positions: Iterable[int]) -> int:
        before = len(self.members)
        self.members.update(positions)
        return len(self.members) - before

"""The two-pass streaming CSV importer and the outcome it reports.

Pass one checks the file as a whole (header, limits, row count), so a rejected file changes nothing; pass
two parses, deduplicates and applies every row, appending new consumers in batches where it can.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.domain.imports.append_buffer import AppendBuffer, BulkDirectory
from mock_server.domain.imports.csv_records import DEFAULT_LIMITS, ImportFileRejected, Limits
from mock_server.domain.imports.csv_rows import RowError, iter_rows, scan_steps
from mock_server.domain.imports.directory import ConsumerDirectory, MemberSink, upsert_consumer
from mock_server.domain.imports.jobs import ForcedKind, ForcedOutcome
from mock_server.domain.kernel import finish

#: read in chunks, in practice). The importer reads it twice: once to check the file as a whole, once to
#: apply it, so that a file over a limit changes nothing, without ever holding the file in memory.
ChunkSource = Callable[[], Iterable[bytes]]

#: `row` 0 in `errors` means the file as a whole (a header problem, a limit, a forced failure).
FILE_ROW = 0
MEMBER_BATCH = 1024
#: Records read between two pauses of `import_steps` (about 20 ms of work each).
SCAN_SLICE = 8192


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


def run_import(
    source: ChunkSource,
    directory: ConsumerDirectory,
    sink: MemberSink,
    *,
    forced: ForcedOutcome | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportOutcome:
    """Check the file (pass one), then apply every valid row (pass two). Nothing is applied on a failure."""
    return finish(import_steps(source, directory, sink, forced=forced, limits=limits))


def import_steps(
    source: ChunkSource,
    directory: ConsumerDirectory,
    sink: MemberSink,
    *,
    forced: ForcedOutcome | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Generator[None, None, ImportOutcome]:
    """`run_import` in slices: it pauses every SCAN_SLICE records of pass one and every MEMBER_BATCH rows
    of pass two, each time with every row so far applied (new consumers flushed, members added), so a
    server can answer others between slices."""
    try:
        scan = yield from scan_steps(source(), limits, SCAN_SLICE)
    except ImportFileRejected as rejected:
        return ImportOutcome.rejected(rejected.message)
    if forced is not None and forced.kind is ForcedKind.FAIL:
        reason = forced.reason or "Forced failure"
        reported = forced.row_errors or (RowError(FILE_ROW, (reason,)),)
        return ImportOutcome(scan.data_rows, 0, reported, failure_reason=reason)
    forced_rows = {e.row: e.issues for e in forced.row_errors} if forced is not None else {}
    errors: list[RowError] = []
    processed = created = 0
    batch: list[int] = []
    try:
        rows = iter_rows(source(), limits)
        first = next(rows, None)
    except ImportFileRejected:
        raise ValueError("the upload source did not replay the same bytes on its second read") from None
    # New consumers are held back and appended a batch at a time, always before their positions reach the
    # sink; lookups see them meanwhile, so deduplication is unchanged.
    buffer = AppendBuffer(directory, MEMBER_BATCH) if isinstance(directory, BulkDirectory) else None
    target: ConsumerDirectory = directory if buffer is None else buffer
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
            if len(errors) % MEMBER_BATCH == 0:  # a file of bad rows pauses too, with what it holds applied
                if buffer is not None:
                    buffer.flush()
                if batch:
                    sink.add_members(batch)
                    batch = []
                yield
            continue
        position, was_created = upsert_consumer(
            target,
            email=item.email,
            phone=item.phone,
            external_id=item.external_id,
            full_name=item.full_name,
            loyalty_balance=item.loyalty_points,
            metadata=item.metadata,
        )
        processed += 1
        created += was_created
        batch.append(position)
        if len(batch) >= MEMBER_BATCH:
            if buffer is not None:
                buffer.flush()
            sink.add_members(batch)
            batch = []
            yield
    if buffer is not None:
        buffer.flush()
    if batch:
        sink.add_members(batch)
    if processed + len(errors) != scan.data_rows:
        raise ValueError("the upload source did not replay the same bytes on its second read")
    return ImportOutcome(scan.data_rows, processed, tuple(errors), created, processed - created)

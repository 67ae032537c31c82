"""CSV imports: reading and checking the file, the import book, the importer and the job board it runs on."""

from __future__ import annotations

from mock_server.domain.imports.append_buffer import (
    AppendBuffer,
    BulkDirectory,
)
from mock_server.domain.imports.book import (
    IMPORT_TRANSITIONS,
    AudienceImport,
    ImportAlreadyUploaded,
    ImportBook,
    ImportEvent,
    ImportStatus,
    import_transition,
)
from mock_server.domain.imports.csv_header import (
    read_header,
)
from mock_server.domain.imports.csv_records import (
    DEFAULT_LIMITS,
    MAX_DATA_ROWS,
    MAX_FILE_BYTES,
    Limits,
    RecordSplitter,
    check_declared_size,
)
from mock_server.domain.imports.csv_rows import (
    RowError,
)
from mock_server.domain.imports.directory import (
    ConsumerDirectory,
    MemoryDirectory,
    MemorySink,
    upsert_consumer,
)
from mock_server.domain.imports.importer import (
    FILE_ROW,
    ChunkSource,
    ImportOutcome,
    import_steps,
    run_import,
)
from mock_server.domain.imports.jobs import (
    DEFAULT_PROGRESSION,
    JOB_TRANSITIONS,
    ForcedKind,
    ForcedOutcome,
    Job,
    JobBoard,
    JobEvent,
    JobKind,
    JobStatus,
    Progression,
    follow_path,
    instant_in,
    instant_out,
    job_transition,
)

__all__ = (
    "DEFAULT_LIMITS",
    "DEFAULT_PROGRESSION",
    "FILE_ROW",
    "IMPORT_TRANSITIONS",
    "JOB_TRANSITIONS",
    "MAX_DATA_ROWS",
    "MAX_FILE_BYTES",
    "AppendBuffer",
    "AudienceImport",
    "BulkDirectory",
    "ChunkSource",
    "ConsumerDirectory",
    "ForcedKind",
    "ForcedOutcome",
    "ImportAlreadyUploaded",
    "ImportBook",
    "ImportEvent",
    "ImportOutcome",
    "ImportStatus",
    "Job",
    "JobBoard",
    "JobEvent",
    "JobKind",
    "JobStatus",
    "Limits",
    "MemoryDirectory",
    "MemorySink",
    "Progression",
    "RecordSplitter",
    "RowError",
    "check_declared_size",
    "follow_path",
    "import_steps",
    "import_transition",
    "instant_in",
    "instant_out",
    "job_transition",
    "read_header",
    "run_import",
    "upsert_consumer",
)

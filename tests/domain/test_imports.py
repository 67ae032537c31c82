"""CSV imports: row checks, accounting, de-duplication, file limits, the status table, forced outcomes."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest

from mock_server.domain.imports import (
    DEFAULT_LIMITS,
    FILE_ROW,
    IMPORT_TRANSITIONS,
    MAX_DATA_ROWS,
    MAX_FILE_BYTES,
    ChunkSource,
    ForcedOutcome,
    ImportAlreadyUploaded,
    ImportBook,
    ImportEvent,
    ImportOutcome,
    ImportStatus,
    JobBoard,
    JobKind,
    Limits,
    MemoryDirectory,
    MemorySink,
    Progression,
    RecordSplitter,
    RowError,
    check_declared_size,
    import_transition,
    read_header,
    run_import,
)
from mock_server.domain.kernel import Clock, Conflict, IdFactory, IllegalTransition, TooLarge


def source(data: bytes, chunk: int = 64 * 1024) -> ChunkSource:
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), chunk):
            yield data[i : i + chunk]

    return chunks


def run(
    data: bytes,
    directory: MemoryDirectory | None = None,
    *,
    chunk: int = 65536,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[ImportOutcome, MemoryDirectory, MemorySink]:
    directory = directory if directory is not None else MemoryDirectory()
    sink = MemorySink()
    return run_import(source(data, chunk), directory, sink, limits=limits), directory, sink


def issues_by_row(outcome: ImportOutcome) -> dict[int, tuple[str, ...]]:
    return {e.row: e.issues for e in outcome.errors}


MIXED = (
    b"email,phone,externalId,firstName,lastName,fullName,tags,loyaltyPoints,loyaltyTier,metadata,favouriteColour\n"
    # row 2: good, with every optional column and an unknown one
    b'ada@example.com,+1 (555) 010-0001,,Ada,Lovelace,,"vip, early",120,Gold,"{""src"": ""pos""}",red\n'
    b"not-an-email,,,,,,,,,,\n"  # 3
    b",,,Nobody,,,,,,,\n"  # 4 no identifier
    b",+12,,,,,,,,,\n"  # 5 bad phone
    b",,ext-1,,,Ext One,,,,{oops},\n"  # 6 bad metadata
    b",,ext-2,,,,,lots,,,\n"  # 7 bad points
    b"bad@@x,+1,,,,,,,,[1],\n"  # 8 three problems
    b"\n"  # 9 blank: skipped, not counted
    b",,,,,,,,,,\n"  # 10 bare commas: skipped too
    b",+4915112345678,,,,Grete,,,,,\n"  # 11 ok, phone only
    b",,ext-3,,,,,,,,\n"  # 12 ok, externalId only
)


def test_a_mixed_file_accounts_for_every_row_and_every_good_row_becomes_a_member() -> None:
    outcome, directory, sink = run(MIXED)
    assert outcome.total_rows == 9
    assert outcome.processed + len(outcome.errors) == outcome.total_rows
    assert outcome.processed == 3 and outcome.created == 3
    assert issues_by_row(outcome) == {
        3: ("Invalid email",),
        4: ("Missing required field",),
        5: ("Invalid phone (E.164)",),
        6: ("Invalid metadata JSON",),
        7: ("Invalid loyaltyPoints",),
        8: ("Invalid email", "Invalid phone (E.164)", "Invalid metadata JSON"),
    }
    assert sink.members == {0, 1, 2}
    ada = directory.consumers[0]
    assert ada == {
        "email": "ada@example.com",
        "phone": "+15550100001",
        "external_id": None,
        "full_name": "Ada Lovelace",
        "loyalty_balance": 120,
        "metadata": {
            "src": "pos",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "loyaltyTier": "Gold",
            "tags": ["vip", "early"],
        },
    }
    assert directory.consumers[1]["phone"] == "+4915112345678"
    assert directory.consumers[2]["external_id"] == "ext-3"


def test_unknown_columns_are_ignored_and_listed() -> None:
    header = read_header(RecordSplitter().feed(b"Email,External ID,favourite colour\n")[0])
    assert [c.value for c, _ in header.columns] == ["email", "externalId"]
    assert header.ignored == ("favourite colour",)


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 1 << 20])
def test_chunk_boundaries_never_change_the_result(chunk: int) -> None:
    data = (
        b"\xef\xbb\xbfemail,fullName\r\n"  # a byte-order mark, CRLF line ends
        b'x@y.io,"Multi\r\nline, ""quoted"" name"\r\n'  # a quoted field over two lines
        b"\xc3\xa9@\xc3\xa9.fr,\xc3\x89mile\r\n"  # multi-byte characters cut anywhere by small chunks
        b"z@y.io,Z"  # no final line break
    )
    outcome, directory, _ = run(data, chunk=chunk)
    assert (outcome.total_rows, outcome.processed, outcome.errors) == (3, 3, ())
    assert [c["full_name"] for c in directory.consumers] == ['Multi\r\nline, "quoted" name', "Émile", "Z"]


def test_duplicates_within_the_file_merge_by_email_then_phone_then_external_id() -> None:
    data = (
        b"email,phone,externalId,fullName\n"
        b"a@x.io,+15550000001,e1,First\n"
        b"A@X.IO,,,Same email other case\n"  # email match
        b",+1 555 000 0001,,By phone\n"  # phone match
        b",,e1,By external id\n"  # externalId match
        b"b@x.io,+15550000002,,Second\n"
    )
    outcome, directory, sink = run(data)
    assert (outcome.processed, outcome.created, outcome.updated) == (5, 2, 3)
    assert len(directory.consumers) == 2
    assert directory.consumers[0]["full_name"] == "By external id"
    assert sink.members == {0, 1}


def test_existing_consumers_are_updated_not_duplicated() -> None:
    directory = MemoryDirectory()
    directory.append(
        email="old@x.io", phone="+15550000009", external_id=None, metadata={"keep": 1, "tier": "a"}
    )
    directory.append(email="other@x.io", phone="+15550000007", external_id=None)
    data = b'email,phone,metadata\nold@x.io,+15550000007,"{""tier"": ""b""}"\nnew@x.io,,\n'
    outcome, directory, sink = run(data, directory)
    assert (outcome.created, outcome.updated) == (1, 1)
    assert len(directory.consumers) == 3
    old = directory.consumers[0]
    assert old["metadata"] == {"keep": 1, "tier": "b"}  # merged, the row's keys win
    assert old["phone"] == "+15550000009"  # the row's phone belongs to someone else: not stolen
    assert sink.members == {0, 2}


def test_an_invalid_utf8_row_is_a_row_error_not_a_failed_file() -> None:
    outcome, _, sink = run(b"email,fullName\na@x.io,Ok\nb@x.io,Bad \xff\xfe name\nc@x.io,\xe2\x82\n")
    assert issues_by_row(outcome) == {3: ("Encoding error",), 4: ("Encoding error",)}
    assert outcome.processed == 1 and sink.members == {0}


def test_an_unreadable_header_fails_the_import_with_the_reason() -> None:
    utf16 = "email\nx@y.io\n".encode("utf-16")
    outcome, directory, _ = run(utf16)
    assert outcome.failure_reason == "Encoding error in the header row: the file must be UTF-8"
    assert outcome.errors == (RowError(FILE_ROW, (outcome.failure_reason,)),)
    assert directory.consumers == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "Header row required: the file is empty"),
        (b"\n\n  \n", "Header row required: the file is empty"),
        (b"a@x.io,+15550000001\nb@x.io,+15550000002\n", "Header row required: the first row looks like data"),
        (b"firstName,lastName\nAda,Lovelace\n", "The header row must name at least one identifier column"),
        (b"email,EMAIL\n", "Duplicate column in the header row: email"),
    ],
)
def test_file_level_problems_fail_the_import_and_change_nothing(data: bytes, reason: str) -> None:
    outcome, directory, sink = run(data)
    assert outcome.failure_reason is not None and outcome.failure_reason.startswith(reason)
    assert (outcome.processed, directory.consumers, sink.members) == (0, [], set())


def test_a_row_too_long_is_reported_and_the_reader_resynchronises() -> None:
    long_row = b'"' + b"x" * 40_000 + b"\n"  # a runaway quote, longer than the row limit
    outcome, _, sink = run(b"email\na@x.io\n" + long_row + b"b@x.io\nc@x.io\n", chunk=4096)
    assert issues_by_row(outcome) == {3: ("Row too long",)}
    assert outcome.processed == 3 and len(sink.members) == 3


def test_the_size_limit_fails_the_import_before_anything_is_applied() -> None:
    row = b"a" * 2000 + b"@x.io\n"
    rows = MAX_FILE_BYTES // len(row) + 1
    data = b"email\n" + row * rows
    read: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 1 << 16):
            read.append(i)
            yield data[i : i + (1 << 16)]

    directory, sink = MemoryDirectory(), MemorySink()
    outcome = run_import(chunks, directory, sink)
    assert outcome.failure_reason == "File too large: the maximum is 10 MB (10,485,760 bytes)"
    assert (directory.consumers, sink.members) == ([], set())
    assert len(read) == MAX_FILE_BYTES // (1 << 16) + 1  # stopped at the limit, did not read on


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    check_declared_size(MAX_FILE_BYTES)
    with pytest.raises(TooLarge):
        check_declared_size(MAX_FILE_BYTES + 1)


def test_the_row_limit_fails_the_import_past_the_maximum() -> None:
    data = b"externalId\n" + b"e\n" * (MAX_DATA_ROWS + 1)
    outcome, directory, _ = run(data)
    assert outcome.failure_reason == "Too many rows: the maximum is 100,000 data rows"
    assert directory.consumers == []


def test_the_row_limit_is_inclusive() -> None:
    limits = Limits(max_data_rows=3)
    ok, _, _ = run(b"externalId\na\nb\nc\n", limits=limits)
    over, _, _ = run(b"externalId\na\nb\nc\nd\n", limits=limits)
    assert (ok.failure_reason, ok.processed) == (None, 3)
    assert over.failure_reason == "Too many rows: the maximum is 3 data rows"


def test_a_source_that_does_not_replay_is_a_programming_error() -> None:
    once = iter([b"email\na@x.io\n"])
    with pytest.raises(ValueError, match="replay"):
        run_import(lambda: once, MemoryDirectory(), MemorySink())


# ---- the entity, the table and the book ---------------------------------------------------------------


@pytest.mark.parametrize(("status", "event"), list(itertools.product(ImportStatus, ImportEvent)))
def test_every_import_table_entry_is_legal_and_every_other_move_raises(
    status: ImportStatus, event: ImportEvent
) -> None:
    if (status, event) in IMPORT_TRANSITIONS:
        assert import_transition(status, event) is IMPORT_TRANSITIONS[status, event]
    else:
        with pytest.raises(IllegalTransition):
            import_transition(status, event)


def book(clock: Clock, progression: Progression | None = None) -> ImportBook:
    ids = IdFactory(clock, "imports")
    jobs = JobBoard(clock, ids)
    if progression is not None:
        jobs.set_progression(JobKind.IMPORT, progression)
    return ImportBook("org-1", clock, ids, jobs)


def test_create_gives_a_pending_import_with_the_documented_s3_key(clock: Clock) -> None:
    imports = book(clock)
    record = imports.create("aud-1", created_by="apikey_x")
    assert record.s3_key == "imports/org-1/aud-1/1735689600000.csv"
    assert (record.status, record.progress, record.total_consumers, record.errors) == (
        ImportStatus.PENDING,
        0,
        None,
        (),
    )
    assert imports.observe(record.id).status is ImportStatus.PENDING  # nothing uploaded: nothing moves
    assert imports.latest_for("aud-1") is record


def test_status_follows_the_job_and_progress_fields_grow_with_it(clock: Clock) -> None:
    imports = book(clock, Progression.after_reads(2))
    record = imports.create("aud-1", created_by="u")
    imports.upload(record.id, source(MIXED), MemoryDirectory(), MemorySink())
    assert record.status is ImportStatus.PENDING
    halfway = imports.observe(record.id)
    assert (halfway.status, halfway.progress, halfway.processed_consumers, halfway.error_count) == (
        ImportStatus.PROCESSING,
        50,
        1,
        3,
    )
    assert halfway.total_consumers == 9
    done = imports.observe(record.id)
    assert (done.status, done.progress, done.processed_consumers, done.error_count) == (
        ImportStatus.COMPLETED,
        100,
        3,
        6,
    )
    assert done.processed_consumers + done.error_count == done.total_consumers


def test_a_failed_file_shows_failed_with_its_reason(clock: Clock) -> None:
    imports = book(clock, Progression.immediate())
    record = imports.create("aud-1", created_by="u")
    imports.upload(record.id, source(b"name\nx\n"), MemoryDirectory(), MemorySink())
    assert record.status is ImportStatus.FAILED
    assert record.failure_reason is not None and "identifier column" in record.failure_reason
    assert (record.processed_consumers, record.error_count, record.total_consumers) == (0, 1, None)


def test_a_second_upload_is_a_conflict(clock: Clock) -> None:
    imports = book(clock, Progression.immediate())
    record = imports.create("aud-1", created_by="u")
    imports.upload(record.id, source(b"email\na@x.io\n"), MemoryDirectory(), MemorySink())
    with pytest.raises(ImportAlreadyUploaded) as caught:
        imports.upload(record.id, source(b"email\nb@x.io\n"), MemoryDirectory(), MemorySink())
    assert isinstance(caught.value, Conflict) and caught.value.message == "Import already uploaded"


def test_a_forced_failure_applies_nothing_and_reports_the_given_rows(clock: Clock) -> None:
    imports = book(clock, Progression.immediate())
    forced = ForcedOutcome.failure((RowError(2, ("Invalid email",)), RowError(3, ("Row too long",))), "Boom")
    imports.jobs.force_next(JobKind.IMPORT, forced)
    directory, sink = MemoryDirectory(), MemorySink()
    record = imports.create("aud-1", created_by="u")
    imports.upload(record.id, source(MIXED), directory, sink)
    assert (record.status, record.failure_reason, record.errors) == (
        ImportStatus.FAILED,
        "Boom",
        forced.row_errors,
    )
    assert (record.processed_consumers, record.total_consumers) == (0, 9)
    assert (directory.consumers, sink.members) == ([], set())
    second = imports.create("aud-1", created_by="u")  # the forced outcome was for one job only
    imports.upload(second.id, source(MIXED), directory, sink)
    assert second.status is ImportStatus.COMPLETED


def test_a_forced_partial_rejects_the_named_rows_and_keeps_the_accounting(clock: Clock) -> None:
    imports = book(clock, Progression.immediate())
    imports.jobs.force_next(
        JobKind.IMPORT,
        ForcedOutcome.partial(
            (RowError(2, ("Invalid email",)), RowError(3, ("Flagged",)), RowError(99, ("x",)))
        ),
    )
    directory, sink = MemoryDirectory(), MemorySink()
    record = imports.create("aud-1", created_by="u")
    imports.upload(record.id, source(MIXED), directory, sink)
    assert record.status is ImportStatus.COMPLETED
    by_row = {e.row: e.issues for e in record.errors}
    assert by_row[2] == ("Invalid email",)  # a good row, rejected by force
    assert by_row[3] == ("Invalid email", "Flagged")  # a bad row keeps its own issue too
    assert 99 not in by_row  # not a row of this file: ignored, so the sums still hold
    assert (record.processed_consumers, record.error_count, record.total_consumers) == (2, 7, 9)
    assert len(sink.members) == 2


def test_export_restores_the_book_exactly(clock: Clock) -> None:
    imports = book(clock, Progression.after_reads(2))
    record = imports.create("aud-1", created_by="u")
    imports.upload(record.id, source(MIXED), MemoryDirectory(), MemorySink())
    imports.observe(record.id)
    data = json.loads(json.dumps(imports.export()))
    restored_jobs = JobBoard.restore(json.loads(json.dumps(imports.jobs.export())), clock, imports.ids)
    again = ImportBook.restore(data, "org-1", clock, imports.ids, restored_jobs)
    assert again.export() == imports.export()
    assert again.observe(record.id).status is ImportStatus.COMPLETED
    assert again.latest_for("aud-1") is not None

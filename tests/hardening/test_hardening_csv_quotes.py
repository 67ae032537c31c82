"""Issue 10, CSV quoting: an unterminated quote accounts for every row (a row error on the line that opens
it, and every line after it read as its own row), never a silent drop of the rows that follow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server.domain.imports import (
    DEFAULT_LIMITS,
    ChunkSource,
    ImportOutcome,
    MemoryDirectory,
    MemorySink,
    run_import,
)

MALFORMED = ("Malformed row (unbalanced quotes or a stray line break)",)


def run(data: bytes, chunk: int) -> tuple[ImportOutcome, MemoryDirectory, MemorySink]:
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), chunk):
            yield data[i : i + chunk]

    source: ChunkSource = chunks
    directory, sink = MemoryDirectory(), MemorySink()
    return run_import(source, directory, sink, limits=DEFAULT_LIMITS), directory, sink


@pytest.mark.parametrize("chunk", [1, 5, 64, 1 << 20])
def test_an_unterminated_quote_is_a_row_error_and_the_rows_after_it_still_count(chunk: int) -> None:
    data = b'email,fullName\na@x.io,Ada\nb@x.io,"Unterminated name\nc@x.io,Cy\nd@x.io,Di\n'
    outcome, directory, _ = run(data, chunk)
    assert {e.row: e.issues for e in outcome.errors} == {3: MALFORMED}
    assert outcome.total_rows == 4
    assert outcome.processed + len(outcome.errors) == outcome.total_rows
    assert sorted(c["email"] for c in directory.consumers) == ["a@x.io", "c@x.io", "d@x.io"]


@pytest.mark.parametrize("chunk", [4096, 1 << 20])
def test_a_runaway_quote_longer_than_the_row_limit_drops_no_later_row(chunk: int) -> None:
    # 5,000 good lines after the stray quote: more than the 32 KiB row limit, so the old reader cut them
    # into one "Row too long" and lost them
    later = b"".join(b"u%d@x.io,User %d\n" % (i, i) for i in range(5000))
    data = b'email,fullName\na@x.io,"Open quote\n' + later
    outcome, directory, _ = run(data, chunk)
    assert {e.row: e.issues for e in outcome.errors} == {2: MALFORMED}
    assert outcome.total_rows == 5001
    assert outcome.processed == 5000 and len(directory.consumers) == 5000


def test_a_good_multi_line_quoted_field_is_still_one_row() -> None:
    data = b'email,fullName\na@x.io,"Two\nlines"\nb@x.io,Bo\n'
    outcome, directory, _ = run(data, 3)
    assert outcome.errors == () and outcome.total_rows == 2
    assert [c["full_name"] for c in directory.consumers] == ["Two\nlines", "Bo"]

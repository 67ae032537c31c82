"""CSV records for audience imports: the file limits, and a byte stream split into records under them.

Works on bytes, one record at a time, so an invalid UTF-8 sequence spoils one row (not the file) and
memory stays flat whatever the file size.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from mock_server.domain.kernel import Invalid, TooLarge

#: The documented file limits (facts §4 "CSV imports").
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DATA_ROWS = 100_000
#: Not documented: the cap behind the "Row too long" error. Generous for a metadata column, and it bounds
#: the one record we ever hold, which is what keeps memory flat on a file with a runaway quote.
MAX_ROW_BYTES = 32 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_bytes: int = MAX_FILE_BYTES
    max_data_rows: int = MAX_DATA_ROWS
    max_row_bytes: int = MAX_ROW_BYTES


DEFAULT_LIMITS = Limits()


class ImportFileRejected(Invalid):
    """The file as a whole cannot be imported (no header, no identifier column, over a limit...).

    Raised inside the importer and turned into a FAILED import with this message; a handler that checks a
    file synchronously may map it like any `Invalid`.
    """


def check_declared_size(content_length: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """For handlers: refuse an upload whose declared length is over the limit, before reading it."""
    if content_length > limits.max_file_bytes:
        raise TooLarge(f"File too large: the maximum is 10 MB ({limits.max_file_bytes:,} bytes)")


class Record(NamedTuple):
    """One CSV record's bytes (line break removed), or None when it outgrew `max_row_bytes` (then dropped).

    A NamedTuple rather than a frozen dataclass: one is made per line, and tuples are cheaper to build.
    """

    number: int
    raw: bytes | None


#: tuple.__new__ builds a NamedTuple without the Python-level __new__ it generates (a frame per call).
_new_record: Callable[[type[Record], tuple[int, bytes | None]], Record] = tuple.__new__


class RecordSplitter:
    """Push parser: feed byte chunks, get back complete records.

    UTF-8 never uses the bytes of `"` or `\\n` inside a multi-byte sequence, so records can be cut on raw
    bytes: a line break ends a record when the record so far holds an even number of quotes.
    """

    __slots__ = ("_number", "_overflow", "_parts", "_quotes", "_size", "bytes_seen", "max_row_bytes")

    def __init__(self, max_row_bytes: int = MAX_ROW_BYTES) -> None:
        self.max_row_bytes = max_row_bytes
        self.bytes_seen = 0
        self._parts: list[bytes] = []
        self._size = 0
        self._quotes = 0
        self._overflow = False
        self._number = 0

    def feed(self, chunk: bytes) -> list[Record]:
        self.bytes_seen += len(chunk)
        out: list[Record] = []
        data: bytes | None = chunk
        while data is not None:  # a recovered runaway quote hands back the lines it had swallowed
            data = self._scan(data, out)
        return out

    def close(self) -> list[Record]:
        out: list[Record] = []
        while self._parts and self._quotes & 1 and b"\n" in self._parts:
            # The file ended inside a quote: the line that opened it is a malformed row, and every line
            # after it is read again as its own record (none is silently absorbed).
            data: bytes | None = self._recover(out)
            while data is not None:
                data = self._scan(data, out)
        if self._parts or self._overflow:
            out.append(self._emit())
        return out

    def _scan(self, chunk: bytes, out: list[Record]) -> bytes | None:
        """Split `chunk` into `out`; bytes to scan again when a runaway quote was cut back to its line."""
        pieces = chunk.split(b"\n")
        tail = pieces.pop()
        limit = self.max_row_bytes
        rest = iter(pieces)
        for piece in rest:
            if not self._parts and not self._overflow and len(piece) <= limit and not piece.count(b'"') & 1:
                # Fast path, nearly every line: a whole record on one line, nothing pending.
                self._number += 1
                out.append(
                    _new_record(Record, (self._number, piece[:-1] if piece.endswith(b"\r") else piece))
                )
                continue
            if self._parts and self._size + len(piece) > limit and b"\n" in self._parts:
                # A quote left open across lines outgrew the row limit: not one long row, a stray quote.
                return self._recover(out) + b"\n".join([piece, *rest, tail])
            self._absorb(piece)
            if self._overflow or not self._quotes & 1:
                out.append(self._emit())
            else:  # the line break sits inside a quoted field: it belongs to the record
                self._absorb(b"\n")
        if self._parts and self._size + len(tail) > limit and b"\n" in self._parts:
            return self._recover(out) + tail
        self._absorb(tail)
        return None

    def _recover(self, out: list[Record]) -> bytes:
        """Emit the held record's first line alone (its odd quote makes it a malformed row); return the
        lines held after it, to be scanned again."""
        first, _, after = b"".join(self._parts).partition(b"\n")
        self._parts = [first]
        out.append(self._emit())
        return after

    def _absorb(self, piece: bytes) -> None:
        if not piece:
            return
        self._quotes += piece.count(b'"')
        if self._overflow:
            return
        self._size += len(piece)
        if self._size > self.max_row_bytes:
            # Drop what we hold; the record ends at the next line break whatever its quotes say, so a
            # stray quote costs one "Row too long" instead of swallowing the rest of the file.
            self._overflow = True
            self._parts.clear()
        else:
            self._parts.append(piece)

    def _emit(self) -> Record:
        self._number += 1
        if self._overflow:
            record = Record(self._number, None)
        else:
            raw = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
            record = Record(self._number, raw[:-1] if raw.endswith(b"\r") else raw)
        self._parts = []
        self._size = 0
        self._quotes = 0
        self._overflow = False
        return record


def iter_records(chunks: Iterable[bytes], limits: Limits) -> Iterator[Record]:
    """Every record of the upload, enforcing the file-size limit as bytes arrive (stops reading past it)."""
    splitter = RecordSplitter(limits.max_row_bytes)
    first = True
    for chunk in chunks:
        if not chunk:
            continue
        records = splitter.feed(chunk)
        if splitter.bytes_seen > limits.max_file_bytes:
            raise ImportFileRejected(
                f"File too large: the maximum is 10 MB ({limits.max_file_bytes:,} bytes)"
            )
        if first and records:
            first = False
            records[0] = _without_bom(records[0])
        yield from records
    tail = splitter.close()
    yield from (_without_bom(r) for r in tail) if first else tail


def _without_bom(record: Record) -> Record:
    # A UTF-8 byte-order mark (Excel writes one) is not part of the first header cell.
    if record.raw is not None and record.raw.startswith(b"\xef\xbb\xbf"):
        return Record(record.number, record.raw[3:])
    return record


def is_blank(record: Record) -> bool:
    """An empty line, or one of bare commas (spreadsheets export those): not a data row, not counted."""
    return record.raw is not None and not record.raw.strip(b" \t\r,")


def split_fields(text: str) -> list[str]:
    if '"' not in text:
        return text.split(",")  # the common case, at C speed
    return next(csv.reader((text,)), [])

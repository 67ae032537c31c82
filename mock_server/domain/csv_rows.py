"""CSV rows for audience imports: split a byte stream into records, read the header, check each row.

Works on bytes, one record at a time, so an invalid UTF-8 sequence spoils one row (not the file) and
memory stays flat whatever the file size.
"""

from __future__ import annotations

import csv
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple, TypeAlias

from mock_server.domain.errors import Invalid, TooLarge

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"

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


class RowIssue(StrEnum):
    """The documented row errors, worded as the docs word them (plus two the docs imply)."""

    ENCODING = "Encoding error"
    INVALID_EMAIL = "Invalid email"
    MISSING_IDENTIFIER = "Missing required field"
    INVALID_PHONE = "Invalid phone (E.164)"
    TOO_LONG = "Row too long"
    INVALID_METADATA = "Invalid metadata JSON"
    INVALID_LOYALTY_POINTS = "Invalid loyaltyPoints"


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row. `row` numbers records as a spreadsheet does: the header is row 1."""

    row: int
    issues: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "issues": list(self.issues)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RowError:
        return cls(int(data["row"]), tuple(str(i) for i in data["issues"]))


class ImportFileRejected(Invalid):
    """The file as a whole cannot be imported (no header, no identifier column, over a limit...).

    Raised inside the importer and turned into a FAILED import with this message; a handler that checks a
    file synchronously may map it like any `Invalid`.
    """


def check_declared_size(content_length: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """For handlers: refuse an upload whose declared length is over the limit, before reading it."""
    if content_length > limits.max_file_bytes:
        raise TooLarge(f"File too large: the maximum is 10 MB ({limits.max_file_bytes:,} bytes)")


class Column(Enum):
    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL_ID = "externalId"
    FIRST_NAME = "firstName"
    LAST_NAME = "lastName"
    FULL_NAME = "fullName"
    TAGS = "tags"
    LOYALTY_POINTS = "loyaltyPoints"
    LOYALTY_TIER = "loyaltyTier"
    METADATA = "metadata"


IDENTIFIER_COLUMNS = (Column.EMAIL, Column.PHONE, Column.EXTERNAL_ID)
# Header cells match case-insensitively and ignoring `_`, `-` and spaces, so `External ID`, `external_id`
# and `EMAIL` all work: spreadsheets export headers in every style.
_COLUMN_KEYS = MappingProxyType({c.value.lower(): c for c in Column})
_KEY_NOISE = re.compile(r"[\s_\-]+")


@dataclass(frozen=True, slots=True)
class Header:
    columns: tuple[tuple[Column, int], ...]
    ignored: tuple[str, ...]  # unknown columns: ignored, listed so a view or a log can say so

    def position(self, column: Column) -> int:
        """The column's index in a row, or -1 when the file has no such column."""
        for col, index in self.columns:
            if col is column:
                return index
        return -1


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
        pieces = chunk.split(b"\n")
        tail = pieces.pop()
        limit = self.max_row_bytes
        for piece in pieces:
            if not self._parts and not self._overflow and len(piece) <= limit and not piece.count(b'"') & 1:
                # Fast path, nearly every line: a whole record on one line, nothing pending.
                self._number += 1
                out.append(
                    _new_record(Record, (self._number, piece[:-1] if piece.endswith(b"\r") else piece))
                )
                continue
            self._absorb(piece)
            if self._overflow or not self._quotes & 1:
                out.append(self._emit())
            else:  # the line break sits inside a quoted field: it belongs to the record
                self._absorb(b"\n")
        self._absorb(tail)
        return out

    def close(self) -> list[Record]:
        if self._parts or self._overflow:
            return [self._emit()]
        return []

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


def read_header(record: Record) -> Header:
    """The header row's columns; raises ImportFileRejected with a reason a person can act on."""
    if record.raw is None:
        raise ImportFileRejected("Header row too long: is the first row really a header?")
    try:
        text = record.raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileRejected("Encoding error in the header row: the file must be UTF-8") from None
    cells = [cell.strip() for cell in split_fields(text)]
    columns: list[tuple[Column, int]] = []
    ignored: list[str] = []
    seen: set[Column] = set()
    for index, cell in enumerate(cells):
        column = _COLUMN_KEYS.get(_KEY_NOISE.sub("", cell).lower())
        if column is None:
            ignored.append(cell)
        elif column in seen:
            raise ImportFileRejected(f"Duplicate column in the header row: {column.value}")
        else:
            seen.add(column)
            columns.append((column, index))
    if not seen.intersection(IDENTIFIER_COLUMNS):
        if any(_EMAIL.match(c) or _PHONE.match(_PHONE_NOISE.sub("", c)) for c in cells):
            raise ImportFileRejected(
                "Header row required: the first row looks like data. Add a header row naming the columns "
                "(at least one of email, phone, externalId)"
            )
        raise ImportFileRejected(
            "The header row must name at least one identifier column: email, phone or externalId"
        )
    return Header(tuple(columns), tuple(ignored))


class ConsumerRow(NamedTuple):
    """A valid row, normalised: email lowercased, phone in E.164, extra columns folded into metadata.

    A NamedTuple, like Record: one is made per valid row.
    """

    row: int
    email: str | None
    phone: str | None
    external_id: str | None
    full_name: str | None
    loyalty_points: int | None
    metadata: dict[str, JsonValue] | None


_new_row: Callable[[type[ConsumerRow], tuple[Any, ...]], ConsumerRow] = tuple.__new__

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+$")
# E.164: a plus, a country code that does not start with 0, at most 15 digits in all. We ask for at least
# 7 digits so that `+12` is refused; spaces, dashes, dots and brackets are removed first (people type them).
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_NOISE = re.compile(r"[\s\-().]")
#: The C scanner behind json.loads, called directly: it raises StopIteration when no value starts there.
_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def normalise_email(value: str) -> str | None:
    email = value.strip().lower()
    return email if len(email) <= 254 and _EMAIL.match(email) else None


def normalise_phone(value: str) -> str | None:
    # Most cells are already E.164: the same test as the pattern, without a regex (str.isdecimal is the
    # pattern's \d, Unicode category Nd, and a string of such digits holds no noise to remove).
    if 8 <= len(value) <= 16 and value[0] == "+" and "1" <= value[1] <= "9" and value[2:].isdecimal():
        return value
    phone = _PHONE_NOISE.sub("", value)
    return phone if _PHONE.match(phone) else None


def _json_object(text: str) -> dict[str, JsonValue] | None:
    """`text` (stripped, not empty) as a JSON object, or None when it is not one.

    What json.loads accepts, without its per-call layers: the cell is stripped, so it has no whitespace
    around it for loads to skip, and anything left after the value is "Extra data" to loads too.
    """
    try:
        value, end = _SCAN_JSON(text, 0)
    except (StopIteration, ValueError):
        return None
    return value if end == len(text) and isinstance(value, dict) else None


class _Line:
    """The input of one long-lived csv.reader: yields the record last put in `text`, then stops.

    One reader reused for every quoted record costs far less than a reader per record, and it parses
    the same: a record left inside quotes ends its last field when the input stops, as before.
    """

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text: str | None = None

    def __iter__(self) -> _Line:
        return self

    def __next__(self) -> str:
        text = self.text
        if text is None:
            raise StopIteration
        self.text = None
        return text


class RowParser:
    """Checks data records against one header. Column positions are plain ints: this runs 100,000 times."""

    __slots__ = ("_cells", "_line", "_reader", "_width")

    #: The order `parse` unpacks a row's values in.
    _ORDER = (
        Column.EMAIL,
        Column.PHONE,
        Column.EXTERNAL_ID,
        Column.FULL_NAME,
        Column.FIRST_NAME,
        Column.LAST_NAME,
        Column.LOYALTY_TIER,
        Column.TAGS,
        Column.LOYALTY_POINTS,
        Column.METADATA,
    )

    def __init__(self, header: Header) -> None:
        positions = [header.position(c) for c in self._ORDER]
        # A row is padded to `_width` cells plus one empty cell at the end, which absent columns read (-1):
        # a short row leaves its last columns empty rather than failing.
        self._width = max(positions) + 1
        self._cells = operator.itemgetter(*positions)
        self._line = _Line()
        self._reader = csv.reader(self._line)

    def parse(self, record: Record) -> ConsumerRow | RowError:
        """Check one record; every problem of the row is reported, not only the first."""
        if record.raw is None:
            return RowError(record.number, _TOO_LONG)
        try:
            text = record.raw.decode("utf-8")
        except UnicodeDecodeError:
            return RowError(record.number, _ENCODING)
        if '"' in text:
            self._line.text = text
            fields = next(self._reader, [])
            self._line.text = None
        else:
            fields = text.split(",")  # the common case, at C speed
        missing = self._width - len(fields)
        if missing > 0:
            fields.extend([""] * missing)
        fields.append("")
        (
            raw_email,
            raw_phone,
            external_id,
            full_name,
            first,
            last,
            tier,
            raw_tags,
            raw_points,
            raw_metadata,
        ) = map(str.strip, self._cells(fields))
        issues: list[str] | None = None
        email = phone = None
        if raw_email:
            email = raw_email.lower()
            if len(email) > 254 or not _EMAIL.match(email):
                email = None
                issues = [_INVALID_EMAIL]
        if raw_phone:
            phone = normalise_phone(raw_phone)
            if phone is None:
                issues = [*(issues or ()), _INVALID_PHONE]
        if not (raw_email or raw_phone or external_id):
            issues = [*(issues or ()), _MISSING_IDENTIFIER]
        metadata = None
        if raw_metadata:
            metadata = _json_object(raw_metadata)
            if metadata is None:
                issues = [*(issues or ()), _INVALID_METADATA]
        points = None
        if raw_points:
            if raw_points.isascii() and raw_points.isdigit():
                points = int(raw_points)
            else:
                issues = [*(issues or ()), _INVALID_LOYALTY_POINTS]
        if issues:
            return RowError(record.number, tuple(issues))
        # firstName, lastName, tags and loyaltyTier have no consumer attribute in either dialect: they
        # land in metadata (where `metadata.<key>` rules reach them); an explicit column beats a JSON key.
        if first or last or tier or raw_tags:
            extra: dict[str, JsonValue] = metadata if metadata is not None else {}  # ours: just parsed
            if first:
                extra["firstName"] = first
            if last:
                extra["lastName"] = last
            if tier:
                extra["loyaltyTier"] = tier
            if raw_tags:
                extra["tags"] = list(dict.fromkeys(filter(None, map(str.strip, raw_tags.split(",")))))
            metadata = extra
        if not full_name:
            full_name = f"{first} {last}".strip()
        row = (record.number, email, phone, external_id or None, full_name or None, points, metadata)
        return _new_row(ConsumerRow, row)


_TOO_LONG = (RowIssue.TOO_LONG.value,)
_ENCODING = (RowIssue.ENCODING.value,)
_INVALID_EMAIL = RowIssue.INVALID_EMAIL.value
_INVALID_PHONE = RowIssue.INVALID_PHONE.value
_MISSING_IDENTIFIER = RowIssue.MISSING_IDENTIFIER.value
_INVALID_METADATA = RowIssue.INVALID_METADATA.value
_INVALID_LOYALTY_POINTS = RowIssue.INVALID_LOYALTY_POINTS.value


def parse_row(header: Header, record: Record) -> ConsumerRow | RowError:
    """One-off form of RowParser.parse."""
    return RowParser(header).parse(record)


@dataclass(frozen=True, slots=True)
class FileScan:
    """What the first pass learns: the header and the number of data rows."""

    header: Header
    data_rows: int


def scan_file(chunks: Iterable[bytes], limits: Limits) -> FileScan:
    """Pass one: file-level checks only (header, size, row count), so that a rejected file changes nothing."""
    records = iter_records(chunks, limits)
    header = _first_header(records)
    rows = 0
    for record in records:
        if not is_blank(record):
            rows += 1
            if rows > limits.max_data_rows:
                raise ImportFileRejected(f"Too many rows: the maximum is {limits.max_data_rows:,} data rows")
    return FileScan(header, rows)


def iter_rows(chunks: Iterable[bytes], limits: Limits) -> Iterator[ConsumerRow | RowError]:
    """Pass two: every data row, parsed and checked, in file order (blank lines are skipped, not counted)."""
    records = iter_records(chunks, limits)
    parse = RowParser(_first_header(records)).parse
    for record in records:
        raw = record.raw
        if raw is None or raw.strip(b" \t\r,"):  # not blank (see is_blank)
            yield parse(record)


def _first_header(records: Iterator[Record]) -> Header:
    for record in records:
        if not is_blank(record):
            return read_header(record)
    raise ImportFileRejected("Header row required: the file is empty")

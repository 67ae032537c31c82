"""CSV rows for audience imports: each data row checked against the header, and the two passes over a file.

Pass one learns the header and the row count (file-level checks, so a rejected file changes nothing);
pass two parses and checks every row. The records and limits are in `csv_records`, the header in
`csv_header`.
"""

from __future__ import annotations

import csv
import json
import operator
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple, TypeAlias

from mock_server.domain.consumers import EMAIL_PATTERN, MAX_EMAIL, normalise_phone
from mock_server.domain.imports.csv_header import Column, Header, read_header
from mock_server.domain.imports.csv_records import (
    MAX_FILE_BYTES as MAX_FILE_BYTES,  # re-exported: the handlers take it from here
)
from mock_server.domain.imports.csv_records import (
    ImportFileRejected,
    Limits,
    Record,
    is_blank,
    iter_records,
)
from mock_server.domain.kernel import finish

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"


class RowIssue(StrEnum):
    """The documented row errors, worded as the docs word them (plus two the docs imply)."""

    ENCODING = "Encoding error"
    INVALID_EMAIL = "Invalid email"
    MISSING_IDENTIFIER = "Missing required field"
    INVALID_PHONE = "Invalid phone (E.164)"
    TOO_LONG = "Row too long"
    INVALID_METADATA = "Invalid metadata JSON"
    INVALID_LOYALTY_POINTS = "Invalid loyaltyPoints"
    MALFORMED = "Malformed row (unbalanced quotes or a stray line break)"


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

#: The C scanner behind json.loads, called directly: it raises StopIteration when no value starts there.
_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json_object(text: str) -> dict[str, JsonValue] | None:
    """`text` (stripped, not empty) as a JSON object, or None when it is not one.

    What json.loads accepts, without its per-call layers: the cell is stripped, so it has no whitespace
    around it for loads to skip, and anything left after the value is "Extra data" to loads too.
    """
    try:
        value, end = _SCAN_JSON(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return None
    if end != len(text) or not isinstance(value, dict) or not all(map(_flat, value.values())):
        return None
    return value


def _flat(value: Any) -> bool:
    """Consumer metadata holds scalars and lists of scalars (what `metadata.<key>` rules and both
    dialects' consumer shapes carry); a nested object is not metadata a consumer can have."""
    if isinstance(value, list):
        return not any(isinstance(item, (list, dict)) for item in value)
    return not isinstance(value, dict)


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
            if text.count('"') & 1:  # a quote never closed (the splitter cut it back to its own line)
                return RowError(record.number, _MALFORMED)
            self._line.text = text
            try:
                fields = next(self._reader, [])
            except csv.Error:  # e.g. a bare carriage return inside a quoted cell
                return RowError(record.number, _MALFORMED)
            finally:
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
            if len(email) > MAX_EMAIL or not EMAIL_PATTERN.match(email):
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
_MALFORMED = (RowIssue.MALFORMED.value,)
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
    return finish(scan_steps(chunks, limits))


def scan_steps(chunks: Iterable[bytes], limits: Limits, every: int = 8192) -> Generator[None, None, FileScan]:
    """`scan_file`, pausing every `every` records."""
    records = iter_records(chunks, limits)
    header = _first_header(records)
    rows = 0
    for seen, record in enumerate(records, 1):
        if seen % every == 0:
            yield
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

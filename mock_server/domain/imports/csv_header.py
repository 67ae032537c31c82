"""The header row of an import file: which known columns it names, and where."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from mock_server.domain.consumers import looks_like_identifier
from mock_server.domain.imports.csv_records import ImportFileRejected, Record, split_fields


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
        if any(looks_like_identifier(c) for c in cells):
            raise ImportFileRejected(
                "Header row required: the first row looks like data. Add a header row naming the columns "
                "(at least one of email, phone, externalId)"
            )
        raise ImportFileRejected(
            "The header row must name at least one identifier column: email, phone or externalId"
        )
    return Header(tuple(columns), tuple(ignored))

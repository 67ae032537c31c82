"""Consumers: the columnar consumer table, its records, indexes, metadata and the consumer fields."""

from __future__ import annotations

from mock_server.domain.consumers.changed_rows import (
    ChangedRows,
)
from mock_server.domain.consumers.columns import (
    NUMERIC_COLUMNS,
    ConsumerColumns,
    empty_columns,
)
from mock_server.domain.consumers.contacts import (
    EMAIL_PATTERN,
    MAX_EMAIL,
    looks_like_identifier,
    normalise_phone,
)
from mock_server.domain.consumers.fields import (
    FIELDS,
    TIER_ATTRIBUTES,
    Field,
    FieldKind,
    Source,
    parse_boolean,
    parse_instant_micros,
    parse_number,
    resolve,
)
from mock_server.domain.consumers.metadata import (
    MetadataStore,
)
from mock_server.domain.consumers.record import (
    MISSING_TIME,
    STATUS_ORDER,
    ConsumerRecord,
    Location,
    aov_cents,
    cents_text,
    score_rank,
    to_cents,
    to_millis,
)
from mock_server.domain.consumers.rows_view import (
    ConsumerRows,
    RowsView,
)
from mock_server.domain.consumers.table import (
    ConsumerTable,
    email_key,
)
from mock_server.domain.consumers.value_index import (
    ValueIndex,
)

__all__ = (
    "EMAIL_PATTERN",
    "FIELDS",
    "MAX_EMAIL",
    "MISSING_TIME",
    "NUMERIC_COLUMNS",
    "STATUS_ORDER",
    "TIER_ATTRIBUTES",
    "ChangedRows",
    "ConsumerColumns",
    "ConsumerRecord",
    "ConsumerRows",
    "ConsumerTable",
    "Field",
    "FieldKind",
    "Location",
    "MetadataStore",
    "RowsView",
    "Source",
    "ValueIndex",
    "aov_cents",
    "cents_text",
    "email_key",
    "empty_columns",
    "looks_like_identifier",
    "normalise_phone",
    "parse_boolean",
    "parse_instant_micros",
    "parse_number",
    "resolve",
    "score_rank",
    "to_cents",
    "to_millis",
)

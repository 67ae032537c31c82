"""The raw columns a consumer source hands to a table (numpy arrays, string lists, location pool, metadata),
and the consumer attributes a table writes into them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from mock_server.domain.consumers.metadata import MetadataStore
from mock_server.domain.consumers.record import MISSING_TIME, Location

NUMERIC_COLUMNS: Mapping[str, type[np.generic]] = {
    "id_hi": np.uint64,
    "id_lo": np.uint64,
    "created_at": np.int64,  # epoch milliseconds
    "updated_at": np.int64,
    "last_order_at": np.int64,
    "total_orders": np.int32,
    "ltv_cents": np.int64,  # totalOrderValue == ltv, in cents
    "total_returns": np.int32,
    "loyalty_balance": np.int64,
    "loyalty_lifetime_points": np.int64,
    "activity_score": np.int16,  # 0..100
    "monetary_score": np.int16,
    "purchase_frequency_score": np.int16,
    "status": np.uint8,  # index into ConsumerStatus order
    "email_verified": np.bool_,
    "phone_verified": np.bool_,
    "sms_opt_out": np.bool_,
    "geo": np.int32,  # index into the location pool, -1 when unknown
}
STRING_COLUMNS = ("email", "phone", "full_name", "external_id")
COLUMN_DEFAULTS = {"geo": -1, "last_order_at": MISSING_TIME}  # every other column defaults to 0

#: Attributes a table's `append` and `update` accept, beyond the identifiers.
UPDATABLE = frozenset(
    {
        *STRING_COLUMNS,
        "metadata",
        "location",
        "total_orders",
        "ltv_cents",
        "total_returns",
        "last_order_at",
        "loyalty_balance",
        "loyalty_lifetime_points",
        "activity_score",
        "monetary_score",
        "purchase_frequency_score",
        "status",
        "email_verified",
        "phone_verified",
        "sms_opt_out",
    }
)
#: Attributes stored in a column of another name (a location is a code into the location pool).
ATTRIBUTE_COLUMNS: Mapping[str, str] = MappingProxyType({"location": "geo"})


def check_attribute_names(names: Iterable[str]) -> None:
    unknown = set(names) - UPDATABLE
    if unknown:
        raise TypeError(f"unknown consumer attributes: {sorted(unknown)}")


@dataclass(slots=True)
class ConsumerColumns:
    """The raw columns a consumer source hands to a table (all of one length)."""

    numeric: dict[str, npt.NDArray[Any]]
    strings: dict[str, list[str | None]]
    locations: list[Location] = field(default_factory=list)
    metadata: MetadataStore = field(default_factory=MetadataStore)
    #: What tables build over these columns alone (identifier indexes, folded text), built once for every
    #: table sharing them; a table that changes a column builds its own.
    lookups: dict[Any, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numeric["id_hi"])


def empty_columns() -> ConsumerColumns:
    """Columns of a table with no consumers (appends grow it)."""
    return ConsumerColumns(
        numeric={name: np.zeros(0, dtype=dtype) for name, dtype in NUMERIC_COLUMNS.items()},
        strings={name: [] for name in STRING_COLUMNS},
    )

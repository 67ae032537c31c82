"""The rule-field registry: which consumer attributes rules may name, their kinds, and how values parse.

Both documentation styles' rule fields are here (the guide's email ... metadata.*, the reference's ltv,
aov, loyalty, scores, status, geo), plus `lifetimeSpend` (the guide's tier attribute, an alias of
totalOrderValue) and the consumer flags. Anything else is an unknown field: `Invalid`, never a silent
mismatch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from mock_server.domain.consumers.record import ConsumerStatus


class FieldKind(StrEnum):
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    ENUM = "enum"
    BOOLEAN = "boolean"
    ANY = "any"  # metadata.<key>: typed by the stored value


class Source(StrEnum):
    """How a field is read from the consumer table."""

    TEXT = "text"  # a list of unique strings
    NUMBER = "number"  # a numpy numeric column
    MONEY = "money"  # ltv cents, compared in currency units
    AOV = "aov"  # derived: ltv / totalOrders in cents
    TIME = "time"  # epoch milliseconds with a missing sentinel
    FLAG = "flag"  # a numpy bool column
    STATUS = "status"
    GEO = "geo"  # one attribute of the location pool
    METADATA = "metadata"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: FieldKind
    source: Source
    column: str  # the table column (or location attribute, or metadata key)
    choices: tuple[str, ...] = ()
    casefold_equality: bool = False  # email: stored lower-cased, compared case-insensitively


def _f(name: str, kind: FieldKind, source: Source, column: str, **kw: Any) -> tuple[str, Field]:
    return name, Field(name, kind, source, column, **kw)


S, N, D, E, B = FieldKind.STRING, FieldKind.NUMBER, FieldKind.DATETIME, FieldKind.ENUM, FieldKind.BOOLEAN

FIELDS: MappingProxyType[str, Field] = MappingProxyType(
    dict(
        [
            _f("email", S, Source.TEXT, "email", casefold_equality=True),
            _f("phone", S, Source.TEXT, "phone"),
            _f("fullName", S, Source.TEXT, "full_name"),
            _f("externalId", S, Source.TEXT, "external_id"),
            _f("totalOrders", N, Source.NUMBER, "total_orders"),
            _f("totalOrderValue", N, Source.MONEY, "ltv_cents"),
            _f("lifetimeSpend", N, Source.MONEY, "ltv_cents"),
            _f("ltv", N, Source.MONEY, "ltv_cents"),
            _f("aov", N, Source.AOV, "ltv_cents"),
            _f("totalReturns", N, Source.NUMBER, "total_returns"),
            _f("loyaltyBalance", N, Source.NUMBER, "loyalty_balance"),
            _f("loyaltyLifetimePoints", N, Source.NUMBER, "loyalty_lifetime_points"),
            _f("activityScore", N, Source.NUMBER, "activity_score"),
            _f("monetaryScore", N, Source.NUMBER, "monetary_score"),
            _f("purchaseFrequencyScore", N, Source.NUMBER, "purchase_frequency_score"),
            _f("lastOrderAt", D, Source.TIME, "last_order_at"),
            _f("createdAt", D, Source.TIME, "created_at"),
            _f("updatedAt", D, Source.TIME, "updated_at"),
            _f("status", E, Source.STATUS, "status", choices=tuple(s.value for s in ConsumerStatus)),
            _f("emailVerified", B, Source.FLAG, "email_verified"),
            _f("phoneVerified", B, Source.FLAG, "phone_verified"),
            _f("smsOptOut", B, Source.FLAG, "sms_opt_out"),
            _f("lastGeoCity", S, Source.GEO, "city"),
            _f("lastGeoRegion", S, Source.GEO, "region"),
            _f("lastGeoCountry", S, Source.GEO, "country"),
            _f("lastGeoTimezone", S, Source.GEO, "timezone"),
        ]
    )
)

METADATA_PREFIX = "metadata."

#: Loyalty-tier attributes (both styles) and the rule field each one ranges over.
TIER_ATTRIBUTES: MappingProxyType[str, str] = MappingProxyType(
    {
        name: name
        for name in (
            "totalOrderValue",
            "totalOrders",
            "lifetimeSpend",
            "loyaltyBalance",
            "loyaltyLifetimePoints",
            "ltv",
            "aov",
            "activityScore",
            "purchaseFrequencyScore",
            "monetaryScore",
        )
    }
)


def resolve(name: str) -> Field | None:
    """The field a rule names, or None when no such field exists."""
    known = FIELDS.get(name)
    if known is not None:
        return known
    if name.startswith(METADATA_PREFIX) and len(name) > len(METADATA_PREFIX):
        return Field(name, FieldKind.ANY, Source.METADATA, name[len(METADATA_PREFIX) :])
    return None


_DECIMAL = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


def parse_number(value: object) -> float | None:
    """A JSON number or a decimal string (the reference's money format) as a float; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _DECIMAL.match(value):
        try:
            return float(Decimal(value))
        except (InvalidOperation, ValueError):
            return None
    return None


def parse_instant_micros(value: object) -> int | None:
    """An ISO-8601 string as epoch microseconds (no offset means UTC); else None."""
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    delta = instant - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_boolean(value: object) -> bool | None:
    """A JSON boolean, or "true"/"false" (the guide's values cannot carry booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None

"""Experience requests in domain terms: create specs and patches, read from either dialect's body.

Naive date-times are local to the experience's time zone (UTC when none); every field is checked for its
JSON type here, so the book works on well-typed values.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mock_server.domain.kernel import Invalid, Issue


class Unset(Enum):
    """Marks a patch field the request did not send (as opposed to an explicit null)."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True)
class ExperienceSpec:
    """A create request in domain terms. Naive datetimes are local to `time_zone` (UTC when none)."""

    name: str
    slug: str | None = None
    open_at: datetime | None = None
    close_at: datetime | None = None
    time_zone: str | None = None
    i18n: Mapping[str, Any] | None = None
    theme: Mapping[str, Any] | None = None
    access_code: str | None = None
    products: tuple[Mapping[str, Any], ...] = ()  # [{productId, productVariantId?, isPrimary?, position?}]
    sequences: tuple[Mapping[str, Any], ...] = ()  # R's `sequence` objects: {name, priority?, queues?, ...}

    @classmethod
    def parse_request(cls, body: Mapping[str, Any]) -> ExperienceSpec:
        """Either dialect's create body: the guide's openAt/closeAt/slug, R's `sequence` (one) or a list."""
        sequence = body.get("sequence")
        sequences = body.get("sequences") or ([sequence] if sequence else [])
        return cls(
            name=text_field(body.get("name"), "name") or "",
            slug=text_field(body.get("slug"), "slug"),
            open_at=parse_instant(body.get("openAt"), "openAt"),
            close_at=parse_instant(body.get("closeAt"), "closeAt"),
            time_zone=text_field(body.get("timeZone"), "timeZone"),
            i18n=object_field(body.get("i18n"), "i18n"),
            theme=object_field(body.get("theme"), "theme"),
            access_code=text_field(body.get("accessCode"), "accessCode"),
            products=object_list(body.get("products"), "products"),
            sequences=object_list(sequences, "sequences"),
        )


@dataclass(frozen=True, slots=True)
class ExperiencePatch:
    """A partial update: UNSET leaves a field alone, None clears it (where the field may be null)."""

    name: str | Unset = UNSET
    slug: str | Unset = UNSET
    open_at: datetime | Unset | None = UNSET
    close_at: datetime | Unset | None = UNSET
    time_zone: str | Unset | None = UNSET
    i18n: Mapping[str, Any] | Unset | None = UNSET
    theme: Mapping[str, Any] | Unset | None = UNSET
    access_code: str | Unset | None = UNSET
    products: tuple[Mapping[str, Any], ...] | Unset = UNSET

    @classmethod
    def parse_request(cls, body: Mapping[str, Any]) -> ExperiencePatch:
        def has(key: str) -> bool:
            return key in body

        name = text_field(body.get("name"), "name") if has("name") else UNSET
        slug = text_field(body.get("slug"), "slug") if has("slug") else UNSET
        return cls(
            name=UNSET if name is None else name,
            slug=UNSET if slug is None else slug,
            open_at=parse_instant(body["openAt"], "openAt") if has("openAt") else UNSET,
            close_at=parse_instant(body["closeAt"], "closeAt") if has("closeAt") else UNSET,
            time_zone=text_field(body["timeZone"], "timeZone") if has("timeZone") else UNSET,
            i18n=object_field(body["i18n"], "i18n") if has("i18n") else UNSET,
            theme=object_field(body["theme"], "theme") if has("theme") else UNSET,
            access_code=text_field(body["accessCode"], "accessCode") if has("accessCode") else UNSET,
            products=object_list(body["products"], "products") if has("products") else UNSET,
        )


def parse_instant(value: object, at: str) -> datetime | None:
    """An ISO-8601 string (or a datetime) -> datetime; naive when it has no offset (see `local_instant`)."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    # One summary text (the field is in the issue), so the refusal is a documented example.
    raise Invalid("Invalid date-time", (Issue(at, "Expected an ISO-8601 date-time"),))


def local_instant(value: datetime | None, zone: ZoneInfo | None) -> datetime | None:
    # facts §5.8: local times without an offset are read in the experience's time zone; results are UTC.
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone or UTC)
    return value.astimezone(UTC)


def zone_info(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("Unknown time zone", (Issue("timeZone", f"Not an IANA time zone: {name}"),)) from None


def check_window(open_at: datetime | None, close_at: datetime | None) -> None:
    if open_at is not None and close_at is not None and open_at >= close_at:
        raise Invalid("closeAt must be after openAt", (Issue("closeAt", "Must be after openAt"),))


def required_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise Invalid("Invalid name", (Issue("name", "Required"),))
    return name


def text_field(value: object, at: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise Invalid(f"Invalid {at}", (Issue(at, "Expected a string"),))


def object_field(value: object, at: str) -> Mapping[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return value
    raise Invalid(f"Invalid {at}", (Issue(at, "Expected an object"),))


def object_list(value: object, at: str) -> tuple[Mapping[str, Any], ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value):
        return tuple(value)
    raise Invalid(f"Invalid {at}", (Issue(at, "Expected a list of objects"),))


def private_copy(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    # A private deep copy: the caller's dict may change later, our stored value must not.
    return None if value is None else copy.deepcopy(dict(value))

"""Experiences: the entity with both dialects' fields, slugs, status derived from the schedule, the book.

Status against the virtual clock: draft (no openAt), scheduled (now < openAt), active (openAt <= now and
no closeAt or now < closeAt), completed (closeAt <= now). /api/v1 renders it lowercase as the guide does;
/api has no status field. The concepts page's scheduled/open/closed are scheduled/active/completed.
"""

from __future__ import annotations

import copy
import random
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mock_server.domain.clock import Clock
from mock_server.domain.errors import Conflict, IllegalTransition, Invalid, Issue, NotFound
from mock_server.domain.ids import IdFactory


class ExperienceStatus(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"


class ExperienceEvent(Enum):
    SCHEDULE = "schedule"  # an openAt is set
    OPEN = "open"  # the clock reaches openAt
    CLOSE = "close"  # the clock reaches closeAt
    DELETE = "delete"  # archive; the status itself does not change


EXPERIENCE_TRANSITIONS: Mapping[tuple[ExperienceStatus, ExperienceEvent], ExperienceStatus] = (
    MappingProxyType(
        {
            (ExperienceStatus.DRAFT, ExperienceEvent.SCHEDULE): ExperienceStatus.SCHEDULED,
            (ExperienceStatus.SCHEDULED, ExperienceEvent.OPEN): ExperienceStatus.ACTIVE,
            (ExperienceStatus.ACTIVE, ExperienceEvent.CLOSE): ExperienceStatus.COMPLETED,
            (ExperienceStatus.DRAFT, ExperienceEvent.DELETE): ExperienceStatus.DRAFT,
            (ExperienceStatus.SCHEDULED, ExperienceEvent.DELETE): ExperienceStatus.SCHEDULED,
            (ExperienceStatus.COMPLETED, ExperienceEvent.DELETE): ExperienceStatus.COMPLETED,
        }
    )
)


class CannotDeleteActive(IllegalTransition):
    """The guide's 409: an active experience has consumers in it, so it cannot be deleted."""

    def __init__(self) -> None:
        super().__init__("experience", ExperienceStatus.ACTIVE.value, ExperienceEvent.DELETE.value)
        self.message = "Cannot delete active experience"
        self.args = (self.message,)


class SlugTaken(Conflict):
    """An explicit slug another live experience of the organization already has."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"Slug already in use: {slug}")
        self.slug = slug


def experience_transition(status: ExperienceStatus, event: ExperienceEvent) -> ExperienceStatus:
    try:
        return EXPERIENCE_TRANSITIONS[status, event]
    except KeyError:
        if (status, event) == (ExperienceStatus.ACTIVE, ExperienceEvent.DELETE):
            raise CannotDeleteActive() from None
        raise IllegalTransition("experience", status.value, event.value) from None


def derive_status(open_at: datetime | None, close_at: datetime | None, now: datetime) -> ExperienceStatus:
    """Walk the table from draft as far as the schedule and the clock allow."""
    status = ExperienceStatus.DRAFT
    if open_at is None:
        return status  # a closeAt alone schedules nothing
    status = experience_transition(status, ExperienceEvent.SCHEDULE)
    if now >= open_at:
        status = experience_transition(status, ExperienceEvent.OPEN)
        if close_at is not None and now >= close_at:
            status = experience_transition(status, ExperienceEvent.CLOSE)
    return status


# ---- values -------------------------------------------------------------------------------------------


class DistributionKind(Enum):
    QUEUE = "queues"
    DRAW = "draws"
    AUCTION = "auctions"
    APPOINTMENT = "appointments"
    TIMED_RELEASE = "timedReleases"


#: The instant a draw or an auction is decided; it ends the window when there is no closeAt.
_DECIDED_KEY = MappingProxyType({DistributionKind.DRAW: "drawAt", DistributionKind.AUCTION: "settleAt"})


@dataclass(frozen=True, slots=True)
class Distribution:
    """A queue, draw, auction, appointment or timed release, kept simple: times parsed, the rest as given."""

    id: str
    kind: DistributionKind
    name: str
    open_at: datetime | None
    close_at: datetime | None
    decided_at: datetime | None  # drawAt / settleAt
    settings: Mapping[str, Any]  # every other field of the request, unchanged (admitRate, winnerCount...)


@dataclass(frozen=True, slots=True)
class ExperienceSequence:
    id: str
    name: str
    priority: float
    color: str
    access_code: str | None
    audience_id: str | None
    product_selection_mode: str | None
    sequence_products: tuple[Mapping[str, Any], ...]
    distributions: tuple[Distribution, ...]


@dataclass(frozen=True, slots=True)
class ExperienceProduct:
    id: str
    product_id: str
    product_variant_id: str | None
    is_primary: bool
    position: int


@dataclass(frozen=True, slots=True)
class Experience:
    id: str
    organization_id: str
    name: str
    slug: str
    open_at: datetime | None
    close_at: datetime | None
    time_zone: str | None
    i18n: Mapping[str, Any] | None  # stored as given: the guide's {title, description, messages} or R's map
    theme: Mapping[str, Any] | None  # stored as given: the guide's and the reference's keys differ
    access_code: str | None
    products: tuple[ExperienceProduct, ...]
    sequences: tuple[ExperienceSequence, ...]
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    archived: bool = False

    def status_at(self, now: datetime) -> ExperienceStatus:
        return derive_status(self.open_at, self.close_at, now)


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
    def from_json(cls, body: Mapping[str, Any]) -> ExperienceSpec:
        """Either dialect's create body: the guide's openAt/closeAt/slug, R's `sequence` (one) or a list."""
        sequence = body.get("sequence")
        sequences = body.get("sequences") or ([sequence] if sequence else [])
        return cls(
            name=_text(body.get("name"), "name") or "",
            slug=_text(body.get("slug"), "slug"),
            open_at=parse_instant(body.get("openAt"), "openAt"),
            close_at=parse_instant(body.get("closeAt"), "closeAt"),
            time_zone=_text(body.get("timeZone"), "timeZone"),
            i18n=_object(body.get("i18n"), "i18n"),
            theme=_object(body.get("theme"), "theme"),
            access_code=_text(body.get("accessCode"), "accessCode"),
            products=_objects(body.get("products"), "products"),
            sequences=_objects(sequences, "sequences"),
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
    def from_json(cls, body: Mapping[str, Any]) -> ExperiencePatch:
        def has(key: str) -> bool:
            return key in body

        name = _text(body.get("name"), "name") if has("name") else UNSET
        slug = _text(body.get("slug"), "slug") if has("slug") else UNSET
        return cls(
            name=UNSET if name is None else name,
            slug=UNSET if slug is None else slug,
            open_at=parse_instant(body["openAt"], "openAt") if has("openAt") else UNSET,
            close_at=parse_instant(body["closeAt"], "closeAt") if has("closeAt") else UNSET,
            time_zone=_text(body["timeZone"], "timeZone") if has("timeZone") else UNSET,
            i18n=_object(body["i18n"], "i18n") if has("i18n") else UNSET,
            theme=_object(body["theme"], "theme") if has("theme") else UNSET,
            access_code=_text(body["accessCode"], "accessCode") if has("accessCode") else UNSET,
            products=_objects(body["products"], "products") if has("products") else UNSET,
        )


@dataclass(frozen=True, slots=True)
class SequenceMetrics:
    sequence_id: str
    audience_id: str | None
    audience_size: int
    waitlist_size: int
    waitlist_by_age: tuple[int, int, int, int, int, int]  # waiting 1d, 2d, 3d, 4d, 5d, more than 5 days


@dataclass(frozen=True, slots=True)
class ExperienceMetrics:
    experience_id: str
    status: ExperienceStatus
    entries: int
    unique_consumers: int
    admissions: int
    conversions: int
    conversion_rate: float  # conversions / entries, 0 with no entries
    sequences: tuple[SequenceMetrics, ...]


# ---- the book -----------------------------------------------------------------------------------------

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 80
_COLORS = ("#4F46E5", "#0EA5E9", "#10B981", "#F59E0B", "#EF4444", "#8B5CF6")


def slugify(name: str) -> str:
    """Lowercase ASCII words joined by hyphens: `Fête d'Été 2025!` -> `fete-d-ete-2025`."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG].rstrip("-") or "experience"


@dataclass(slots=True)
class ExperienceBook:
    """One organization's experiences. Deleted ones are archived: kept, but invisible (not found)."""

    organization_id: str
    clock: Clock
    ids: IdFactory
    _experiences: dict[str, Experience] = field(default_factory=dict)

    def experiences(self) -> list[Experience]:
        """Live experiences, oldest first."""
        return [e for e in self._experiences.values() if not e.archived]

    def get(self, experience_id: str) -> Experience:
        found = self._experiences.get(experience_id)
        if found is None or found.archived:
            raise NotFound("Experience", experience_id)
        return found

    def status(self, experience: Experience) -> ExperienceStatus:
        return experience.status_at(self.clock.now())

    def create(self, spec: ExperienceSpec, *, created_by: str) -> Experience:
        name = _name(spec.name)
        zone = _zone(spec.time_zone)
        sequences = tuple(self._sequence(s, i, spec.time_zone) for i, s in enumerate(spec.sequences))
        open_at, close_at = _local(spec.open_at, zone), _local(spec.close_at, zone)
        if spec.open_at is None and spec.close_at is None:
            # The reference derives the schedule from the distributions' windows (the contracts page); how
            # they combine is not stated: we take the earliest opening and the latest close or decision.
            open_at, close_at = _window(sequences)
        _check_window(open_at, close_at)
        now = self.clock.now()
        experience = Experience(
            id=self.ids.new(),
            organization_id=self.organization_id,
            name=name,
            slug=self._claim_slug(spec.slug, name),
            open_at=open_at,
            close_at=close_at,
            time_zone=spec.time_zone,
            i18n=_copy(spec.i18n),
            theme=_copy(spec.theme),
            access_code=spec.access_code,
            products=self._products(spec.products),
            sequences=sequences,
            created_at=now,
            updated_at=now,
            created_by=created_by,
            updated_by=created_by,
        )
        self._experiences[experience.id] = experience
        return experience

    def update(self, experience_id: str, patch: ExperiencePatch, *, updated_by: str) -> Experience:
        """Change what the patch sends. The slug stays unless sent: renaming must not break shared links."""
        current = self.get(experience_id)
        time_zone = current.time_zone if isinstance(patch.time_zone, Unset) else patch.time_zone
        zone = _zone(time_zone)
        open_at = current.open_at if isinstance(patch.open_at, Unset) else _local(patch.open_at, zone)
        close_at = current.close_at if isinstance(patch.close_at, Unset) else _local(patch.close_at, zone)
        _check_window(open_at, close_at)
        changes: dict[str, Any] = {"open_at": open_at, "close_at": close_at, "time_zone": time_zone}
        if not isinstance(patch.name, Unset):
            changes["name"] = _name(patch.name)
        if not isinstance(patch.slug, Unset) and patch.slug != current.slug:
            changes["slug"] = self._claim_slug(patch.slug, current.name)
        for key in ("i18n", "theme"):
            value = getattr(patch, key)
            if not isinstance(value, Unset):
                changes[key] = _copy(value)
        if not isinstance(patch.access_code, Unset):
            changes["access_code"] = patch.access_code
        if not isinstance(patch.products, Unset):
            changes["products"] = self._products(patch.products)
        updated = replace(current, **changes, updated_at=self.clock.now(), updated_by=updated_by)
        self._experiences[updated.id] = updated
        return updated

    def delete(self, experience_id: str, *, updated_by: str) -> Experience:
        """Archive it and return it (the guide returns the deleted experience). Active ones are refused."""
        current = self.get(experience_id)
        experience_transition(self.status(current), ExperienceEvent.DELETE)
        deleted = replace(current, archived=True, updated_at=self.clock.now(), updated_by=updated_by)
        self._experiences[deleted.id] = deleted
        return deleted

    def duplicate(self, experience_id: str, *, name: str | None = None, created_by: str) -> Experience:
        """Copy everything, schedule included (the guide: "with all its sequences and distributions").

        So a copy of an active experience is active at once; every id is new, the slug comes from the name.
        """
        source = self.get(experience_id)
        new_name = _name(name) if name is not None else f"Copy of {source.name}"
        now = self.clock.now()
        copy_ = replace(
            source,
            id=self.ids.new(),
            name=new_name,
            slug=self._claim_slug(None, new_name),
            products=tuple(replace(p, id=self.ids.new()) for p in source.products),
            sequences=tuple(
                replace(
                    s,
                    id=self.ids.new(),
                    distributions=tuple(replace(d, id=self.ids.new()) for d in s.distributions),
                )
                for s in source.sequences
            ),
            created_at=now,
            updated_at=now,
            created_by=created_by,
            updated_by=created_by,
        )
        self._experiences[copy_.id] = copy_
        return copy_

    def detach_audience(self, audience_id: str, *, updated_by: str) -> list[Experience]:
        """An audience was deleted: sequences that required it lose the restriction (facts §4 "Deletes")."""
        changed = []
        for experience in self.experiences():
            if any(s.audience_id == audience_id for s in experience.sequences):
                sequences = tuple(
                    replace(s, audience_id=None) if s.audience_id == audience_id else s
                    for s in experience.sequences
                )
                updated = replace(
                    experience, sequences=sequences, updated_at=self.clock.now(), updated_by=updated_by
                )
                self._experiences[updated.id] = updated
                changed.append(updated)
        return changed

    def metrics(
        self, experience_id: str, audience_size: Callable[[str], int] | None = None
    ) -> ExperienceMetrics:
        """Deterministic numbers from the experience id, growing with the clock while it is active."""
        experience = self.get(experience_id)
        now = self.clock.now()
        status = experience.status_at(now)
        rng = random.Random(f"metrics:{experience.id}")
        full = rng.randint(500, 50_000)
        entries = 0
        if status is ExperienceStatus.COMPLETED:
            entries = full
        elif status is ExperienceStatus.ACTIVE and experience.open_at is not None:
            span = (experience.close_at - experience.open_at) if experience.close_at else None
            elapsed = (now - experience.open_at).total_seconds()
            share = elapsed / span.total_seconds() if span else min(1.0, elapsed / (7 * 86_400))
            entries = int(full * min(1.0, max(share, 0.01)))
        admissions = int(entries * rng.uniform(0.1, 0.6))
        conversions = int(admissions * rng.uniform(0.3, 0.9))
        waiting = status in (ExperienceStatus.SCHEDULED, ExperienceStatus.ACTIVE)
        sequences = []
        for sequence in experience.sequences:
            seq_rng = random.Random(f"metrics:{experience.id}:{sequence.id}")
            d1, d2, d3, d4, d5, more = (seq_rng.randint(0, 400) if waiting else 0 for _ in range(6))
            size = audience_size(sequence.audience_id) if audience_size and sequence.audience_id else 0
            by_age = (d1, d2, d3, d4, d5, more)
            sequences.append(SequenceMetrics(sequence.id, sequence.audience_id, size, sum(by_age), by_age))
        return ExperienceMetrics(
            experience_id=experience.id,
            status=status,
            entries=entries,
            unique_consumers=int(entries * 0.85),
            admissions=admissions,
            conversions=conversions,
            conversion_rate=round(conversions / entries, 4) if entries else 0.0,
            sequences=tuple(sequences),
        )

    # -- snapshots ------------------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """JSON-able state, archived experiences included; `restore` rebuilds it exactly."""
        return {"experiences": [_experience_out(e) for e in self._experiences.values()]}

    @classmethod
    def restore(
        cls, data: Mapping[str, Any], organization_id: str, clock: Clock, ids: IdFactory
    ) -> ExperienceBook:
        book = cls(organization_id, clock, ids)
        for item in data.get("experiences", ()):
            experience = _experience_in(item)
            book._experiences[experience.id] = experience
        return book

    # -- internals ------------------------------------------------------------------------------------

    def _claim_slug(self, explicit: str | None, name: str) -> str:
        taken = {e.slug for e in self.experiences()}
        if explicit is not None:
            if not SLUG_PATTERN.match(explicit) or len(explicit) > MAX_SLUG:
                raise Invalid(
                    "Invalid slug", (Issue("slug", "lowercase letters, digits and single hyphens only"),)
                )
            if explicit in taken:
                raise SlugTaken(explicit)  # an explicit slug is a promise (a URL): never renamed silently
            return explicit
        base = slugify(name)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        return slug

    def _products(self, items: Sequence[Mapping[str, Any]]) -> tuple[ExperienceProduct, ...]:
        products = []
        for i, item in enumerate(items):
            product_id = _text(item.get("productId"), f"products.{i}.productId")
            if not product_id:
                raise Invalid("Invalid product", (Issue(f"products.{i}.productId", "Required"),))
            position = item.get("position")
            products.append(
                ExperienceProduct(
                    id=self.ids.new(),
                    product_id=product_id,
                    product_variant_id=_text(item.get("productVariantId"), f"products.{i}.productVariantId"),
                    is_primary=bool(item.get("isPrimary")) if item.get("isPrimary") is not None else i == 0,
                    position=int(position) if isinstance(position, int | float) else i,
                )
            )
        return tuple(products)

    def _sequence(self, data: Mapping[str, Any], index: int, time_zone: str | None) -> ExperienceSequence:
        at = f"sequences.{index}"
        name = _text(data.get("name"), f"{at}.name")
        if not name:
            raise Invalid("Invalid sequence", (Issue(f"{at}.name", "Required"),))
        priority = data.get("priority")
        distributions = []
        for kind in DistributionKind:
            for j, item in enumerate(_objects(data.get(kind.value), f"{at}.{kind.value}")):
                distributions.append(self._distribution(kind, item, f"{at}.{kind.value}.{j}", time_zone))
        return ExperienceSequence(
            id=self.ids.new(),
            name=name,
            priority=float(priority) if isinstance(priority, int | float) else 0.0,
            color=_text(data.get("color"), f"{at}.color") or _COLORS[index % len(_COLORS)],
            access_code=_text(data.get("accessCode"), f"{at}.accessCode"),
            audience_id=_text(data.get("audienceId"), f"{at}.audienceId"),
            product_selection_mode=_text(data.get("productSelectionMode"), f"{at}.productSelectionMode"),
            sequence_products=_objects(data.get("sequenceProducts"), f"{at}.sequenceProducts"),
            distributions=tuple(distributions),
        )

    def _distribution(
        self, kind: DistributionKind, data: Mapping[str, Any], at: str, time_zone: str | None
    ) -> Distribution:
        name = _text(data.get("name"), f"{at}.name")
        if not name:
            raise Invalid("Invalid distribution", (Issue(f"{at}.name", "Required"),))
        zone = _zone(_text(data.get("timeZone"), f"{at}.timeZone") or time_zone)
        decided_key = _DECIDED_KEY.get(kind)
        skip = {"name", "openAt", "closeAt", decided_key}
        return Distribution(
            id=self.ids.new(),
            kind=kind,
            name=name,
            open_at=_local(parse_instant(data.get("openAt"), f"{at}.openAt"), zone),
            close_at=_local(parse_instant(data.get("closeAt"), f"{at}.closeAt"), zone),
            decided_at=_local(parse_instant(data.get(decided_key), f"{at}.{decided_key}"), zone)
            if decided_key
            else None,
            settings=copy.deepcopy({k: v for k, v in data.items() if k not in skip}),
        )


# ---- snapshot form ------------------------------------------------------------------------------------


def _at_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _at_in(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _experience_out(e: Experience) -> dict[str, Any]:
    return {
        "id": e.id,
        "organizationId": e.organization_id,
        "name": e.name,
        "slug": e.slug,
        "openAt": _at_out(e.open_at),
        "closeAt": _at_out(e.close_at),
        "timeZone": e.time_zone,
        "i18n": e.i18n,
        "theme": e.theme,
        "accessCode": e.access_code,
        "products": [
            [p.id, p.product_id, p.product_variant_id, p.is_primary, p.position] for p in e.products
        ],
        "sequences": [
            {
                "id": s.id,
                "name": s.name,
                "priority": s.priority,
                "color": s.color,
                "accessCode": s.access_code,
                "audienceId": s.audience_id,
                "productSelectionMode": s.product_selection_mode,
                "sequenceProducts": list(s.sequence_products),
                "distributions": [
                    [
                        d.id,
                        d.kind.value,
                        d.name,
                        _at_out(d.open_at),
                        _at_out(d.close_at),
                        _at_out(d.decided_at),
                        d.settings,
                    ]
                    for d in s.distributions
                ],
            }
            for s in e.sequences
        ],
        "createdAt": _at_out(e.created_at),
        "updatedAt": _at_out(e.updated_at),
        "createdBy": e.created_by,
        "updatedBy": e.updated_by,
        "archived": e.archived,
    }


def _experience_in(data: Mapping[str, Any]) -> Experience:
    created_at, updated_at = _at_in(data["createdAt"]), _at_in(data["updatedAt"])
    assert created_at is not None and updated_at is not None
    return Experience(
        id=data["id"],
        organization_id=data["organizationId"],
        name=data["name"],
        slug=data["slug"],
        open_at=_at_in(data["openAt"]),
        close_at=_at_in(data["closeAt"]),
        time_zone=data["timeZone"],
        i18n=data["i18n"],
        theme=data["theme"],
        access_code=data["accessCode"],
        products=tuple(ExperienceProduct(*p) for p in data["products"]),
        sequences=tuple(
            ExperienceSequence(
                id=s["id"],
                name=s["name"],
                priority=s["priority"],
                color=s["color"],
                access_code=s["accessCode"],
                audience_id=s["audienceId"],
                product_selection_mode=s["productSelectionMode"],
                sequence_products=tuple(s["sequenceProducts"]),
                distributions=tuple(
                    Distribution(
                        d[0], DistributionKind(d[1]), d[2], _at_in(d[3]), _at_in(d[4]), _at_in(d[5]), d[6]
                    )
                    for d in s["distributions"]
                ),
            )
            for s in data["sequences"]
        ),
        created_at=created_at,
        updated_at=updated_at,
        created_by=data["createdBy"],
        updated_by=data["updatedBy"],
        archived=data["archived"],
    )


# ---- parsing helpers ----------------------------------------------------------------------------------


def parse_instant(value: object, at: str) -> datetime | None:
    """An ISO-8601 string (or a datetime) -> datetime; naive when it has no offset (see `_local`)."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"Invalid date-time: {at}", (Issue(at, "Expected an ISO-8601 date-time"),))


def _local(value: datetime | None, zone: ZoneInfo | None) -> datetime | None:
    # facts §5.8: local times without an offset are read in the experience's time zone; results are UTC.
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone or UTC)
    return value.astimezone(UTC)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("Unknown time zone", (Issue("timeZone", f"Not an IANA time zone: {name}"),)) from None


def _check_window(open_at: datetime | None, close_at: datetime | None) -> None:
    if open_at is not None and close_at is not None and open_at >= close_at:
        raise Invalid("closeAt must be after openAt", (Issue("closeAt", "Must be after openAt"),))


def _window(sequences: Sequence[ExperienceSequence]) -> tuple[datetime | None, datetime | None]:
    distributions = [d for s in sequences for d in s.distributions]
    opens = [d.open_at for d in distributions if d.open_at is not None]
    ends = [end for d in distributions if (end := d.close_at or d.decided_at) is not None]
    return (min(opens) if opens else None, max(ends) if ends else None)


def _name(value: str) -> str:
    name = value.strip()
    if not name:
        raise Invalid("Invalid name", (Issue("name", "Required"),))
    return name


def _text(value: object, at: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise Invalid(f"Invalid {at}", (Issue(at, "Expected a string"),))


def _object(value: object, at: str) -> Mapping[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return value
    raise Invalid(f"Invalid {at}", (Issue(at, "Expected an object"),))


def _objects(value: object, at: str) -> tuple[Mapping[str, Any], ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value):
        return tuple(value)
    raise Invalid(f"Invalid {at}", (Issue(at, "Expected a list of objects"),))


def _copy(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    # A private deep copy: the caller's dict may change later, our stored value must not.
    return None if value is None else copy.deepcopy(dict(value))

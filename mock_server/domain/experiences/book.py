"""An organization's experiences: create, update, archive, duplicate, slugs unique per organization.

The entity and its status table are in `experience`, request parsing in `experience_input`, metrics in
`experience_metrics`, the snapshot form in `experience_snapshot`. The names the handlers and views take
from here are re-exported (`import X as X`).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mock_server.domain.experiences.experience import (
    DECIDED_KEY,
    ExperienceEvent,
    ExperienceProduct,
    ExperienceStatus,
    experience_transition,
)
from mock_server.domain.experiences.experience import Distribution as Distribution
from mock_server.domain.experiences.experience import DistributionKind as DistributionKind
from mock_server.domain.experiences.experience import Experience as Experience
from mock_server.domain.experiences.experience import ExperienceSequence as ExperienceSequence
from mock_server.domain.experiences.input import ExperiencePatch as ExperiencePatch
from mock_server.domain.experiences.input import ExperienceSpec as ExperienceSpec
from mock_server.domain.experiences.input import (
    Unset,
    check_window,
    local_instant,
    object_list,
    parse_instant,
    private_copy,
    required_name,
    text_field,
    zone_info,
)
from mock_server.domain.experiences.metrics import ExperienceMetrics as ExperienceMetrics
from mock_server.domain.experiences.metrics import experience_metrics
from mock_server.domain.experiences.snapshot import experience_in, experience_out
from mock_server.domain.kernel import Clock, Conflict, IdFactory, Invalid, Issue, NotFound


class SlugTaken(Conflict):
    """An explicit slug another live experience of the organization already has."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"Slug already in use: {slug}")
        self.slug = slug


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
        name = required_name(spec.name)
        zone = zone_info(spec.time_zone)
        sequences = tuple(self._sequence(s, i, spec.time_zone) for i, s in enumerate(spec.sequences))
        open_at, close_at = local_instant(spec.open_at, zone), local_instant(spec.close_at, zone)
        if spec.open_at is None and spec.close_at is None:
            # The reference derives the schedule from the distributions' windows (the contracts page); how
            # they combine is not stated: we take the earliest opening and the latest close or decision.
            open_at, close_at = _window(sequences)
        check_window(open_at, close_at)
        now = self.clock.now()
        experience = Experience(
            id=self.ids.new(),
            organization_id=self.organization_id,
            name=name,
            slug=self._claim_slug(spec.slug, name),
            open_at=open_at,
            close_at=close_at,
            time_zone=spec.time_zone,
            i18n=private_copy(spec.i18n),
            theme=private_copy(spec.theme),
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
        zone = zone_info(time_zone)
        open_at = current.open_at if isinstance(patch.open_at, Unset) else local_instant(patch.open_at, zone)
        close_at = (
            current.close_at if isinstance(patch.close_at, Unset) else local_instant(patch.close_at, zone)
        )
        check_window(open_at, close_at)
        changes: dict[str, Any] = {"open_at": open_at, "close_at": close_at, "time_zone": time_zone}
        if not isinstance(patch.name, Unset):
            changes["name"] = required_name(patch.name)
        if not isinstance(patch.slug, Unset) and patch.slug != current.slug:
            changes["slug"] = self._claim_slug(patch.slug, current.name)
        for key in ("i18n", "theme"):
            value = getattr(patch, key)
            if not isinstance(value, Unset):
                changes[key] = private_copy(value)
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
        new_name = required_name(name) if name is not None else f"Copy of {source.name}"
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
        return experience_metrics(self.get(experience_id), self.clock.now(), audience_size)

    # -- snapshots ------------------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """JSON-able state, archived experiences included; `restore` rebuilds it exactly."""
        return {"experiences": [experience_out(e) for e in self._experiences.values()]}

    @classmethod
    def restore(
        cls, data: Mapping[str, Any], organization_id: str, clock: Clock, ids: IdFactory
    ) -> ExperienceBook:
        book = cls(organization_id, clock, ids)
        for item in data.get("experiences", ()):
            experience = experience_in(item)
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
            product_id = text_field(item.get("productId"), f"products.{i}.productId")
            if not product_id:
                raise Invalid("Invalid product", (Issue(f"products.{i}.productId", "Required"),))
            position = item.get("position")
            products.append(
                ExperienceProduct(
                    id=self.ids.new(),
                    product_id=product_id,
                    product_variant_id=text_field(
                        item.get("productVariantId"), f"products.{i}.productVariantId"
                    ),
                    is_primary=bool(item.get("isPrimary")) if item.get("isPrimary") is not None else i == 0,
                    position=int(position) if isinstance(position, int | float) else i,
                )
            )
        return tuple(products)

    def _sequence(self, data: Mapping[str, Any], index: int, time_zone: str | None) -> ExperienceSequence:
        at = f"sequences.{index}"
        name = text_field(data.get("name"), f"{at}.name")
        if not name:
            raise Invalid("Invalid sequence", (Issue(f"{at}.name", "Required"),))
        priority = data.get("priority")
        distributions = []
        for kind in DistributionKind:
            for j, item in enumerate(object_list(data.get(kind.value), f"{at}.{kind.value}")):
                distributions.append(self._distribution(kind, item, f"{at}.{kind.value}.{j}", time_zone))
        return ExperienceSequence(
            id=self.ids.new(),
            name=name,
            priority=float(priority) if isinstance(priority, int | float) else 0.0,
            color=text_field(data.get("color"), f"{at}.color") or _COLORS[index % len(_COLORS)],
            access_code=text_field(data.get("accessCode"), f"{at}.accessCode"),
            audience_id=text_field(data.get("audienceId"), f"{at}.audienceId"),
            product_selection_mode=text_field(data.get("productSelectionMode"), f"{at}.productSelectionMode"),
            sequence_products=object_list(data.get("sequenceProducts"), f"{at}.sequenceProducts"),
            distributions=tuple(distributions),
        )

    def _distribution(
        self, kind: DistributionKind, data: Mapping[str, Any], at: str, time_zone: str | None
    ) -> Distribution:
        name = text_field(data.get("name"), f"{at}.name")
        if not name:
            raise Invalid("Invalid distribution", (Issue(f"{at}.name", "Required"),))
        zone = zone_info(text_field(data.get("timeZone"), f"{at}.timeZone") or time_zone)
        decided_key = DECIDED_KEY.get(kind)
        skip = {"name", "openAt", "closeAt", decided_key}
        return Distribution(
            id=self.ids.new(),
            kind=kind,
            name=name,
            open_at=local_instant(parse_instant(data.get("openAt"), f"{at}.openAt"), zone),
            close_at=local_instant(parse_instant(data.get("closeAt"), f"{at}.closeAt"), zone),
            decided_at=local_instant(parse_instant(data.get(decided_key), f"{at}.{decided_key}"), zone)
            if decided_key
            else None,
            settings=copy.deepcopy({k: v for k, v in data.items() if k not in skip}),
        )


def _window(sequences: Sequence[ExperienceSequence]) -> tuple[datetime | None, datetime | None]:
    distributions = [d for s in sequences for d in s.distributions]
    opens = [d.open_at for d in distributions if d.open_at is not None]
    ends = [end for d in distributions if (end := d.close_at or d.decided_at) is not None]
    return (min(opens) if opens else None, max(ends) if ends else None)

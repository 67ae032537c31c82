"""Experiences in both dialects: the guide's (slug, derived lowercase status, includes) and the reference's
(organization fields, products, sequences with their distributions, timeZone always set)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mock_server.domain.experiences import (
    Distribution,
    DistributionKind,
    Experience,
    ExperienceMetrics,
    ExperienceSequence,
)
from mock_server.views.listing import page_by_id
from mock_server.views.wire import includes, ts

#: The reference requires a non-empty timeZone; an experience created without one is in UTC.
DEFAULT_TIME_ZONE = "UTC"
#: Keys of a distribution the reference renders from the Distribution's own fields, not its settings.
_OWN_KEYS = frozenset({"id", "name", "openAt", "closeAt", "drawAt", "settleAt"})


def metrics(result: ExperienceMetrics, audience_name: Any = None) -> dict[str, Any]:
    sequences = {}
    for seq in result.sequences:
        d1, d2, d3, d4, d5, more = seq.waitlist_by_age
        sequences[seq.sequence_id] = {
            "audienceName": audience_name(seq.audience_id) if audience_name and seq.audience_id else None,
            "audienceSize": seq.audience_size,
            "waitlistSize": seq.waitlist_size,
            "waitlistSize1d": d1,
            "waitlistSize2d": d2,
            "waitlistSize3d": d3,
            "waitlistSize4d": d4,
            "waitlistSize5d": d5,
            "waitlistSize5plus": more,
        }
    return {"sequences": sequences}


class GuideExperiences:
    created = 201

    def experience(
        self,
        experience: Experience,
        now: datetime,
        query: Mapping[str, Any],
        metrics_of: Any = None,
        purpose: str = "get",
    ) -> dict[str, Any]:
        include = includes(query)
        out: dict[str, Any] = {
            "id": experience.id,
            "name": experience.name,
            "slug": experience.slug,
            "openAt": ts(experience.open_at),
            "closeAt": ts(experience.close_at),
            "timeZone": experience.time_zone,
            "i18n": None if experience.i18n is None else dict(experience.i18n),
            "theme": _theme(experience.theme, _GUIDE_THEME_TEXT, {}),
            "status": experience.status_at(now).value,
            "createdAt": ts(experience.created_at),
            "updatedAt": ts(experience.updated_at),
            "createdBy": experience.created_by,
            "updatedBy": experience.updated_by,
        }
        if "sequences" in include:
            out["sequences"] = [
                {"id": s.id, "name": s.name, "priority": s.priority, "audienceId": s.audience_id}
                for s in experience.sequences
            ]
        if "distributions" in include:
            out["distributions"] = [
                {
                    "id": d.id,
                    "sequenceId": s.id,
                    "type": d.kind.value,
                    "name": d.name,
                    "openAt": ts(d.open_at),
                    "closeAt": ts(d.close_at),
                }
                for s in experience.sequences
                for d in s.distributions
            ]
        if "metrics" in include and metrics_of is not None:
            out["metrics"] = metrics(metrics_of(experience.id))
        return out

    def experience_list(
        self, experiences: list[Experience], now: datetime, query: Mapping[str, Any], metrics_of: Any = None
    ) -> Any:
        return [self.experience(e, now, query, metrics_of) for e in experiences]


class ReferenceExperiences:
    created = 200

    def experience(
        self,
        experience: Experience,
        now: datetime,
        query: Mapping[str, Any],
        metrics_of: Any = None,
        purpose: str = "get",
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": experience.id,
            "organizationId": experience.organization_id,
            "createdAt": ts(experience.created_at),
            "createdBy": experience.created_by,
            "updatedAt": ts(experience.updated_at),
            "updatedBy": experience.updated_by,
            "archived": experience.archived,
            "name": experience.name,
            "timeZone": experience.time_zone or DEFAULT_TIME_ZONE,
            "openAt": ts(experience.open_at),
            "closeAt": ts(experience.close_at),
            "theme": _theme(experience.theme, _REFERENCE_THEME_TEXT, {"variant": _VARIANTS}),
            "i18n": _i18n(experience.i18n),
            "accessCode": experience.access_code,
            "products": [
                {
                    "id": p.id,
                    "organizationId": experience.organization_id,
                    "experienceId": experience.id,
                    "productId": p.product_id,
                    "productVariantId": p.product_variant_id,
                    "position": p.position,
                    "isPrimary": p.is_primary,
                }
                for p in experience.products
            ],
        }
        if purpose in ("create", "list"):  # the reference answers those with sequences; the rest without
            out["sequences"] = [self._sequence(experience, s) for s in experience.sequences]
        return out

    def experience_list(
        self, experiences: list[Experience], now: datetime, query: Mapping[str, Any], metrics_of: Any = None
    ) -> Any:
        page = page_by_id(experiences, query.get("first"), query.get("after"))
        return {
            "data": [self.experience(e, now, query, purpose="list") for e in page.items],
            "pageInfo": {"startCursor": page.start_cursor, "endCursor": page.end_cursor},
        }

    def _sequence(self, experience: Experience, sequence: ExperienceSequence) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": sequence.id,
            "organizationId": experience.organization_id,
            "experienceId": experience.id,
            "createdAt": ts(experience.created_at),
            "createdBy": experience.created_by,
            "archived": False,
            "name": sequence.name,
            "priority": sequence.priority,
            "color": sequence.color,
            "accessCode": sequence.access_code,
            "audienceId": sequence.audience_id,
            "productSelectionMode": sequence.product_selection_mode,
        }
        for kind in DistributionKind:
            out[kind.value] = [
                self._distribution(experience, sequence, d) for d in sequence.distributions if d.kind is kind
            ]
        return out

    def _distribution(
        self, experience: Experience, sequence: ExperienceSequence, distribution: Distribution
    ) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in distribution.settings.items() if k not in _OWN_KEYS}
        out.update(
            id=distribution.id,
            organizationId=experience.organization_id,
            createdAt=ts(experience.created_at),
            createdBy=experience.created_by,
            archived=False,
            sequenceId=sequence.id,
            name=distribution.name,
            openAt=ts(distribution.open_at),
            closeAt=ts(distribution.close_at),
        )
        out.setdefault("timeZone", experience.time_zone or DEFAULT_TIME_ZONE)
        if distribution.kind in (
            DistributionKind.QUEUE,
            DistributionKind.DRAW,
            DistributionKind.TIMED_RELEASE,
        ):
            out.setdefault("supportsGuest", False)
        if distribution.kind is DistributionKind.DRAW:
            out["drawAt"] = ts(distribution.decided_at)
        if distribution.kind is DistributionKind.AUCTION:
            out["settleAt"] = ts(distribution.decided_at)
        return out


_URL_KEYS = frozenset({"logoUrl", "headerImageUrl"})
_GUIDE_THEME_TEXT = frozenset(
    {"primaryColor", "secondaryColor", "backgroundColor", "textColor", "fontFamily"}
)
_REFERENCE_THEME_TEXT = frozenset(
    {
        "background",
        "danger",
        "fontFamily",
        "fontHeading",
        "muted",
        "primary",
        "secondary",
        "success",
        "surface",
    }
    | {"text", "warning"}
)
_VARIANTS = frozenset({"default", "retro", "rounded", "clean"})
#: An absolute URI as JSON Schema's `uri` format reads it: a scheme, then printable ASCII without spaces.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!-~]+")


def _theme(
    theme: Mapping[str, Any] | None, text_keys: frozenset[str], enums: Mapping[str, frozenset[str]]
) -> dict[str, Any] | None:
    """A theme as one family renders it. Themes are stored as given, and the two families know different
    keys: a known key whose value this family's response schema cannot carry (a URL that is not absolute,
    a variant it does not know, a non-string colour) is left out here rather than sent malformed."""
    if theme is None:
        return None
    out = {}
    for key, value in theme.items():
        if key in _URL_KEYS:
            keep = isinstance(value, str) and _URI.fullmatch(value) is not None
        elif key in text_keys:
            keep = isinstance(value, str)
        elif key in enums:
            keep = value in enums[key]
        else:
            keep = True
        if keep:
            out[key] = value
    return out


def _i18n(i18n: Mapping[str, Any] | None) -> dict[str, dict[str, str]] | None:
    """The reference's i18n is key -> language -> text. The guide nests one level deeper under `messages`
    (messages -> key -> language -> text); those entries are flattened to `messages.<key>`."""
    if i18n is None:
        return None
    out: dict[str, dict[str, str]] = {}
    for key, value in i18n.items():
        if not isinstance(value, Mapping):
            continue
        flat = {k: v for k, v in value.items() if isinstance(v, str)}
        if flat:
            out[key] = flat
        for inner, texts in value.items():
            if isinstance(texts, Mapping):
                out[f"{key}.{inner}"] = {k: v for k, v in texts.items() if isinstance(v, str)}
    return out


GUIDE_EXPERIENCES = GuideExperiences()
REFERENCE_EXPERIENCES = ReferenceExperiences()

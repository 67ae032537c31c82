"""Experiences in snapshot form: JSON-able dicts that restore an experience exactly (archived ones too)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mock_server.domain.experiences.experience import (
    Distribution,
    DistributionKind,
    Experience,
    ExperienceProduct,
    ExperienceSequence,
)


def _at_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _at_in(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def experience_out(e: Experience) -> dict[str, Any]:
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


def experience_in(data: Mapping[str, Any]) -> Experience:
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

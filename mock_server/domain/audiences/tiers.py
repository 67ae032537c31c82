"""Loyalty tiers: a group of DYNAMIC audiences (groupType SEGMENTED_VALUE) over half-open value ranges.

Ranges are [startValue, endValue); only the last tier may omit endValue (unbounded). Tiers sorted by
`order` must have strictly increasing, non-overlapping ranges; gaps are allowed, so every consumer
falls in at most one tier. A tier's identity within its group is its `order` (names may be renamed):
an update keeps and updates tiers whose order is still there, creates new orders, archives the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mock_server.domain.audiences.audience import (
    UNSET,
    Audience,
    AudienceInput,
    AudiencePatch,
    AudienceType,
    GroupType,
)
from mock_server.domain.audiences.rules import RuleInput
from mock_server.domain.consumers import TIER_ATTRIBUTES, parse_number
from mock_server.domain.kernel import IdFactory, Invalid, Issue, NotFound


class Audiences(Protocol):
    """What tiers need of a tenant's audiences (the world's AudienceRegistry is one): archiving goes
    through `archive`, so a dropped tier takes its imports and experience references with it."""

    def create(self, data: AudienceInput) -> Audience: ...
    def group(self, group_id: str) -> list[Audience]: ...
    def archive(self, audience_id: str) -> Audience: ...
    def replace_rules(self, audience_id: str, inputs: Sequence[RuleInput]) -> Any: ...
    def update(self, audience_id: str, patch: AudiencePatch) -> Audience: ...


class Organization(Protocol):
    """The tenant (the world's Organization is one): its ids and its audiences."""

    ids: IdFactory

    @property
    def audiences(self) -> Audiences: ...


@dataclass(frozen=True, slots=True)
class TierInput:
    name: str
    start_value: float | int | str
    order: int
    end_value: float | int | str | None = None
    icon_name: str | None = None


@dataclass(frozen=True, slots=True)
class TierGroupInput:
    group_name: str
    attribute: str
    tiers: tuple[TierInput, ...]


@dataclass(frozen=True, slots=True)
class TierGroup:
    tier_group: str
    audiences: tuple[Audience, ...]  # active tiers, by order


@dataclass(frozen=True, slots=True)
class _Tier:
    name: str
    order: int
    start: int | float
    end: int | float | None
    icon_name: str | None


def _number(value: Any) -> int | float | None:
    parsed = parse_number(value)
    if parsed is None:
        return None
    return int(parsed) if parsed.is_integer() else parsed


def check_tiers(data: TierGroupInput) -> list[_Tier]:
    """The tiers in order, or Invalid naming every problem (`tiers.<i>.<part>`)."""
    issues: list[Issue] = []
    if not isinstance(data.group_name, str) or not data.group_name.strip():
        issues.append(Issue("groupName", "groupName must be a non-empty string"))
    if data.attribute not in TIER_ATTRIBUTES:
        issues.append(Issue("attribute", f"Unknown tier attribute {data.attribute!r}"))
    if not data.tiers:
        issues.append(Issue("tiers", "At least one tier is required"))
    tiers: list[tuple[int, _Tier]] = []
    for i, tier in enumerate(data.tiers):
        start, end = _number(tier.start_value), None if tier.end_value is None else _number(tier.end_value)
        if not isinstance(tier.name, str) or not tier.name.strip():
            issues.append(Issue(f"tiers.{i}.name", "name must be a non-empty string"))
        if isinstance(tier.order, bool) or not isinstance(tier.order, int):
            issues.append(Issue(f"tiers.{i}.order", "order must be an integer"))
            continue
        if start is None:
            issues.append(Issue(f"tiers.{i}.startValue", "startValue must be a number"))
            continue
        if tier.end_value is not None and end is None:
            issues.append(Issue(f"tiers.{i}.endValue", "endValue must be a number"))
            continue
        if end is not None and start >= end:
            issues.append(Issue(f"tiers.{i}.endValue", f"Empty range: startValue {start} >= endValue {end}"))
        tiers.append((i, _Tier(tier.name, tier.order, start, end, tier.icon_name)))
    by_order = sorted(tiers, key=lambda t: t[1].order)
    for (_, a), (j, b) in itertools.pairwise(by_order):
        if a.order == b.order:
            issues.append(Issue(f"tiers.{j}.order", f"Duplicate tier order {b.order}"))
        elif a.end is None:
            issues.append(
                Issue(f"tiers.{j}.startValue", f"Tier {a.name!r} is unbounded but not the last tier")
            )
        elif b.start < a.start:
            issues.append(
                Issue(f"tiers.{j}.startValue", f"Tiers are not in order: {b.name!r} starts below {a.name!r}")
            )
        elif b.start < a.end:
            issues.append(Issue(f"tiers.{j}.startValue", f"Tier {b.name!r} overlaps {a.name!r}"))
    if issues:
        raise Invalid("Invalid loyalty tiers", tuple(issues))
    return [t for _, t in by_order]


def _rules(attribute: str, tier: _Tier) -> tuple[RuleInput, ...]:
    # one AND group per tier; the server assigns its id
    low = RuleInput(attribute, "GREATER_THAN_OR_EQUAL", (tier.start,))
    if tier.end is None:
        return (low,)
    return (low, RuleInput(attribute, "LESS_THAN", (tier.end,)))


def _metadata(group_id: str, attribute: str, tier: _Tier) -> dict[str, Any]:
    return {
        "tierGroup": group_id,
        "tierAttribute": attribute,
        "tierOrder": tier.order,
        "tierBoundaries": {"min": tier.start, "max": tier.end},
    }


def create_tier_group(org: Organization, data: TierGroupInput) -> TierGroup:
    tiers = check_tiers(data)
    group_id = org.ids.new()
    audiences = tuple(_create(org, group_id, data, tier) for tier in tiers)
    return TierGroup(group_id, audiences)


def _create(org: Organization, group_id: str, data: TierGroupInput, tier: _Tier) -> Audience:
    return org.audiences.create(
        AudienceInput(
            name=tier.name,
            type=AudienceType.DYNAMIC,
            icon_name=tier.icon_name,
            metadata=_metadata(group_id, data.attribute, tier),
            rules=_rules(data.attribute, tier),
            group_id=group_id,
            group_type=GroupType.SEGMENTED_VALUE,
            group_name=data.group_name,
        )
    )


def tier_group(org: Organization, group_id: str) -> list[Audience]:
    try:
        audiences = org.audiences.group(group_id)
    except NotFound:
        raise NotFound("Loyalty tier group", group_id) from None
    if any(a.group_type is not GroupType.SEGMENTED_VALUE for a in audiences):
        raise NotFound("Loyalty tier group", group_id)
    return audiences


def update_tier_group(org: Organization, group_id: str, data: TierGroupInput) -> TierGroup:
    """PUT: tiers matched by order are updated, new orders created, missing orders archived."""
    existing = {_order_of(a): a for a in tier_group(org, group_id)}
    tiers = check_tiers(data)
    wanted = {t.order for t in tiers}
    for order, audience in existing.items():
        if order not in wanted:
            org.audiences.archive(audience.id)
    result = []
    for tier in tiers:
        current = existing.get(tier.order)
        if current is None:
            result.append(_create(org, group_id, data, tier))
            continue
        metadata = _metadata(group_id, data.attribute, tier)
        if current.metadata != metadata:
            org.audiences.replace_rules(current.id, _rules(data.attribute, tier))
        icon = tier.icon_name if tier.icon_name is not None else UNSET
        result.append(
            org.audiences.update(
                current.id,
                AudiencePatch(name=tier.name, icon_name=icon, metadata=metadata, group_name=data.group_name),
            )
        )
    return TierGroup(group_id, tuple(result))


def _order_of(audience: Audience) -> int | None:
    metadata = audience.metadata or {}
    order = metadata.get("tierOrder")
    return order if isinstance(order, int) else None

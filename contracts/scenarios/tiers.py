"""Loyalty-tier scenario: tiers partition the consumers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import rules
from contracts.scenarios.base import ScenarioContext, ScenarioSkip, scenario

TIERS = [
    {"name": "Bronze", "startValue": 1, "endValue": 3, "order": 0},
    {"name": "Silver", "startValue": 3, "endValue": 6, "order": 1},
    {"name": "Gold", "startValue": 6, "order": 2},
]


def _count(ctx: ScenarioContext, audience_id: str) -> int:
    response = ctx.client.get(ctx.fam.path(f"/audiences/{audience_id}/count"))
    ctx.expect_status(response, 200, "Could not read a count")
    return int(ctx.json(response).get("count"))


@scenario("tiers_partition_consumers")
def tiers_partition(ctx: ScenarioContext) -> None:
    """Tiers do not overlap, members sit in their range, counts add up to everyone from the first start."""
    fam = ctx.fam
    path = fam.path("/audiences/loyalty-tiers")
    ctx.require("post", path)
    body = {"groupName": ctx.name("tiers"), "attribute": "totalOrders", "tiers": TIERS}
    response = ctx.client.post(path, json_body=body)
    ctx.expect_status(response, fam.create_status, "Could not create loyalty tiers")
    group = ctx.json(response)
    audiences = [a for a in group.get("audiences") or [] if isinstance(a, Mapping)]
    ctx.expect(
        len(audiences) == len(TIERS), "Not one audience per tier", f"{len(audiences)} audiences for 3 tiers"
    )
    by_name = {a.get("name"): a for a in audiences}
    reference = ctx.create_audience(
        "dynamic",
        "tier-reference",
        [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [1]}],
    )
    ctx.wait_materialized(reference["id"])
    expected_total = _count(ctx, reference["id"])
    if expected_total > ctx.options.walk_cap:
        raise ScenarioSkip(f"{expected_total} consumers is more than --walk-cap {ctx.options.walk_cap}")
    owner: dict[str, str] = {}
    total = 0
    for tier in TIERS:
        audience = by_name.get(tier["name"]) or next(
            (a for a in audiences if str(a.get("name", "")).endswith(str(tier["name"]))), None
        )
        ctx.expect(audience is not None, "Tier audience missing", f"no audience for tier {tier['name']}")
        assert audience is not None
        ctx.wait_materialized(str(audience["id"]))
        members = ctx.walk_members(fam.path(f"/audiences/{audience['id']}/members"), first=100)
        count = _count(ctx, str(audience["id"]))
        ctx.expect(
            count == len(members),
            "Tier count disagrees with its members",
            f"tier {tier['name']}: /count {count}, {len(members)} members walked",
        )
        total += count
        for member in members:
            member_id = str(member.get("id"))
            ctx.expect(
                member_id not in owner,
                "Loyalty tiers overlap",
                f"consumer {member_id} is in tier {owner.get(member_id)} and in tier {tier['name']}",
            )
            owner[member_id] = str(tier["name"])
            _in_range(ctx, member, tier)
    ctx.expect(
        total == expected_total,
        "Tiers do not cover the consumers",
        f"the tiers hold {total} consumers; {expected_total} have totalOrders >= {TIERS[0]['startValue']}",
    )
    group_id = group.get("tierGroup")
    if isinstance(group_id, str) and ctx.has_operation(
        "get", fam.path("/audiences/groups/{groupId}/members")
    ):
        walked = ctx.walk_members(fam.path(f"/audiences/groups/{group_id}/members"), first=100)
        ids = [m.get("id") for m in walked]
        ctx.expect(
            not rules.duplicates(ids), "Group members repeat a consumer", f"{rules.duplicates(ids)[:3]}"
        )
        ctx.expect(
            set(ids) == set(owner),
            "Group members are not the tiers' members",
            f"group {len(set(ids))}, tiers {len(owner)}",
        )


def _in_range(ctx: ScenarioContext, member: Mapping[str, Any], tier: Mapping[str, Any]) -> None:
    value = member.get("totalOrders")
    if not isinstance(value, int | float):
        return
    low, high = tier["startValue"], tier.get("endValue")
    ctx.expect(
        low <= value and (high is None or value < high),
        "Member outside its tier's range",
        f"consumer {member.get('id')} has totalOrders {value} but sits in {tier['name']} "
        f"[{low}, {high if high is not None else '∞'})",
    )


# Requests a tier group must be refused for (facts: "non-overlapping ranges", one tier at least, an
# order per tier, a known attribute, a range that is not empty), each with the tier set that breaks it.
REFUSED_TIERS: tuple[tuple[str, str, list[dict[str, Any]]], ...] = (
    (
        "overlapping ranges",
        "totalOrders",
        [
            {"name": "Low", "startValue": 1, "endValue": 5, "order": 0},
            {"name": "High", "startValue": 3, "order": 1},
        ],
    ),
    ("an empty range", "totalOrders", [{"name": "Backwards", "startValue": 5, "endValue": 3, "order": 0}]),
    (
        "two tiers with one order",
        "totalOrders",
        [
            {"name": "First", "startValue": 1, "endValue": 3, "order": 0},
            {"name": "Second", "startValue": 3, "endValue": 5, "order": 0},
        ],
    ),
    ("no tiers", "totalOrders", []),
    ("an unknown attribute", "shoeSize", [{"name": "Any", "startValue": 1, "order": 0}]),
)


@scenario("tiers_refuse_invalid_groups")
def tiers_refuse_invalid(ctx: ScenarioContext) -> None:
    """A tier group with overlapping or empty ranges, a shared order, no tiers or a bad attribute is a 400."""
    fam = ctx.fam
    path = fam.path("/audiences/loyalty-tiers")
    ctx.require("post", path)
    for reason, attribute, tiers in REFUSED_TIERS:
        body = {"groupName": ctx.name("refused"), "attribute": attribute, "tiers": tiers}
        response = ctx.client.post(path, json_body=body)
        ctx.expect_status(response, 400, f"A tier group with {reason} is not refused")

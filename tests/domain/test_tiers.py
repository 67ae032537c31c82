"""Loyalty tiers: half-open ranges, the unbounded last tier, rejections, partitions, and PUT diffs."""

from __future__ import annotations

import numpy as np
import pytest

from mock_server.domain.audiences import (
    AudienceType,
    GroupType,
    TierGroupInput,
    TierInput,
    create_tier_group,
    update_tier_group,
)
from mock_server.domain.experiences import ExperienceSpec
from mock_server.domain.kernel import Invalid, NotFound
from mock_server.domain.world import Organization
from tests.domain.conftest import make_org

SPEND = (
    TierInput("Bronze", 0, 0, 100),
    TierInput("Silver", 100, 1, 500),
    TierInput("Gold", 500, 2, 1000),
    TierInput("Platinum", 1000, 3),
)


def test_boundaries_land_in_the_upper_tier_and_the_last_tier_is_unbounded() -> None:
    values = [0, 9_999, 10_000, 49_999, 50_000, 99_999, 100_000, 10_000_000]  # cents
    org = make_org([dict(email=f"c{i}@x.com", ltv_cents=v) for i, v in enumerate(values)])
    group = create_tier_group(org, TierGroupInput("Spend", "totalOrderValue", SPEND))
    members = {a.name: org.members.positions(a.id).tolist() for a in group.audiences}
    assert members == {"Bronze": [0, 1], "Silver": [2, 3], "Gold": [4, 5], "Platinum": [6, 7]}


def test_tier_audiences_carry_group_metadata_and_rules(org: Organization) -> None:
    group = create_tier_group(org, TierGroupInput("Spend", "ltv", SPEND))
    gold = group.audiences[2]
    assert gold.type is AudienceType.DYNAMIC and gold.group_type is GroupType.SEGMENTED_VALUE
    assert gold.group_id == group.tier_group and gold.group_name == "Spend"
    assert gold.metadata == {
        "tierGroup": group.tier_group,
        "tierAttribute": "ltv",
        "tierOrder": 2,
        "tierBoundaries": {"min": 500, "max": 1000},
    }
    assert [(r.field, r.operator.value, r.values) for r in gold.rules] == [
        ("ltv", "GREATER_THAN_OR_EQUAL", (500,)),
        ("ltv", "LESS_THAN", (1000,)),
    ]
    assert group.audiences[3].metadata["tierBoundaries"] == {"min": 1000, "max": None}  # type: ignore[index]


@pytest.mark.parametrize(
    "attribute", ["totalOrders", "aov", "loyaltyBalance", "monetaryScore", "lifetimeSpend"]
)
def test_every_consumer_falls_in_exactly_one_tier_of_a_covering_group(
    org: Organization, attribute: str
) -> None:
    tiers = (
        TierInput("A", 0, 0, 2),
        TierInput("B", 2, 1, 7.5),
        TierInput("C", 7.5, 2, 50),
        TierInput("D", 50, 3),
    )
    group = create_tier_group(org, TierGroupInput("g", attribute, tiers))
    sets = [org.members.positions(a.id) for a in group.audiences]
    together = np.concatenate(sets)
    assert len(together) == len(np.unique(together)) == len(org.consumers)


@pytest.mark.parametrize(
    ("tiers", "where"),
    [
        ((TierInput("A", 0, 0, 100), TierInput("B", 50, 1)), "tiers.1.startValue"),  # overlap
        ((TierInput("A", 100, 0, 200), TierInput("B", 0, 1, 100)), "tiers.1.startValue"),  # unordered
        ((TierInput("A", 0, 0), TierInput("B", 100, 1)), "tiers.1.startValue"),  # unbounded, not last
        ((TierInput("A", 10, 0, 10),), "tiers.0.endValue"),  # empty
        ((TierInput("A", 0, 0, 10), TierInput("B", 10, 0)), "tiers.1.order"),  # duplicate order
        ((TierInput("A", "lots", 0),), "tiers.0.startValue"),
        ((), "tiers"),
    ],
)
def test_bad_tiers_are_invalid(org: Organization, tiers: tuple[TierInput, ...], where: str) -> None:
    with pytest.raises(Invalid) as caught:
        create_tier_group(org, TierGroupInput("g", "totalOrders", tiers))
    assert where in [i.field for i in caught.value.issues]
    assert org.audiences.live() == []


def test_unknown_attribute_and_gaps(org: Organization) -> None:
    with pytest.raises(Invalid):
        create_tier_group(org, TierGroupInput("g", "loyaltyScore", (TierInput("A", 0, 0),)))
    gap = create_tier_group(
        org, TierGroupInput("g", "totalOrders", (TierInput("A", 0, 0, 1), TierInput("B", 5, 1)))
    )
    assert sum(org.members.count(a.id).count for a in gap.audiences) < len(
        org.consumers
    )  # at most one tier each


def test_decimal_string_bounds(org: Organization) -> None:
    group = create_tier_group(
        org, TierGroupInput("g", "ltv", (TierInput("A", "0", 0, "99.5"), TierInput("B", "99.5", 1)))
    )
    assert group.audiences[0].metadata["tierBoundaries"] == {"min": 0, "max": 99.5}  # type: ignore[index]


def test_put_updates_by_order_creates_and_archives(org: Organization) -> None:
    group = create_tier_group(org, TierGroupInput("Spend", "totalOrderValue", SPEND))
    old = {a.metadata["tierOrder"]: a for a in group.audiences}  # type: ignore[index]
    updated = update_tier_group(
        org,
        group.tier_group,
        TierGroupInput(
            "Spend v2",
            "totalOrderValue",
            (TierInput("Bronze+", 0, 0, 200), TierInput("Silver", 200, 1, 800), TierInput("Diamond", 800, 5)),
        ),
    )
    by_order = {a.metadata["tierOrder"]: a for a in updated.audiences}  # type: ignore[index]
    assert list(by_order) == [0, 1, 5]
    assert by_order[0].id == old[0].id and by_order[0].name == "Bronze+" and by_order[0].version == 2
    assert by_order[1].id == old[1].id and by_order[1].group_name == "Spend v2"
    assert by_order[5].id not in {a.id for a in group.audiences}
    for order in (2, 3):
        with pytest.raises(NotFound):
            org.audiences.get(old[order].id)
    assert [a.id for a in org.audiences.group(group.tier_group)] == [a.id for a in updated.audiences]
    with pytest.raises(NotFound):
        update_tier_group(org, "nope", TierGroupInput("x", "totalOrders", SPEND))


def test_a_tier_dropped_by_put_takes_its_experience_references_with_it(org: Organization) -> None:
    group = create_tier_group(org, TierGroupInput("Spend", "totalOrderValue", SPEND))
    gold = group.audiences[2]
    spec = ExperienceSpec.parse_request(
        {"name": "Gold drop", "sequences": [{"name": "Main", "audienceId": gold.id}]}
    )
    experience = org.experiences.create(spec, created_by="test")
    update_tier_group(org, group.tier_group, TierGroupInput("Spend", "totalOrderValue", SPEND[:2]))
    assert [s.audience_id for s in org.experiences.get(experience.id).sequences] == [None]

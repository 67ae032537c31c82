"""Dynamic audiences whose rules mean the same share one materialized member array (memory stays flat when
a client creates the same segment over and over), and sharing never leaks a change from one to another."""

from __future__ import annotations

from mock_server.domain.audiences import AudienceInput, AudienceType, RuleInput
from tests.domain.conftest import make_org

ROWS = [{"email": f"c{i}@example.com", "total_orders": i} for i in range(30)]


def dynamic(*rules: RuleInput) -> AudienceInput:
    return AudienceInput(name="seg", type=AudienceType.DYNAMIC, rules=rules)


def test_same_meaning_shares_one_array_whatever_the_group_ids_and_order() -> None:
    org = make_org(ROWS)
    first = org.audiences.create(
        dynamic(RuleInput("totalOrders", "GREATER_THAN", (5,)), RuleInput("email", "CONTAINS", ("@",)))
    )
    second = org.audiences.create(
        dynamic(RuleInput("email", "CONTAINS", ("@",)), RuleInput("totalOrders", "GREATER_THAN", (5,)))
    )
    assert org.members.positions(first.id) is org.members.positions(second.id)
    assert org.members.count(first.id).count == 24


def test_different_meaning_is_not_shared() -> None:
    org = make_org(ROWS)
    five = org.audiences.create(dynamic(RuleInput("totalOrders", "GREATER_THAN", (5,))))
    six = org.audiences.create(dynamic(RuleInput("totalOrders", "GREATER_THAN", (6,))))
    two_groups = org.audiences.create(
        dynamic(
            RuleInput("totalOrders", "GREATER_THAN", (5,), group_id="a"),
            RuleInput("email", "CONTAINS", ("c1",), group_id="b"),
        )
    )
    assert org.members.count(five.id).count == 24 and org.members.count(six.id).count == 23
    assert org.members.count(two_groups.id).count == 24 + 1  # c1 (1 order) joins through the second group
    assert org.members.positions(five.id) is not org.members.positions(two_groups.id)


def test_changing_one_audience_leaves_the_one_it_shared_with_alone() -> None:
    org = make_org(ROWS)
    first = org.audiences.create(dynamic(RuleInput("totalOrders", "GREATER_THAN", (5,))))
    second = org.audiences.create(dynamic(RuleInput("totalOrders", "GREATER_THAN", (5,))))
    org.audiences.add_rules(first.id, [RuleInput("totalOrders", "LESS_THAN", (10,))], prefix="")
    assert org.members.count(second.id).count == 24
    assert org.members.count(first.id).count == 30  # (> 5) OR (< 10): a new group, so everyone
    assert not org.members.positions(second.id).flags.writeable, "shared arrays are read-only"

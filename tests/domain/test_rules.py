"""Rule semantics: every operator, AND within a group, OR across groups, and the checks on bad rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mock_server.domain.audiences import RuleInput, build_rules, compile_rules
from mock_server.domain.consumers import Location
from mock_server.domain.kernel import Clock, IdFactory, Invalid
from tests.domain.conftest import make_table

T0 = datetime(2024, 1, 1, tzinfo=UTC)
ROWS: list[dict[str, Any]] = [
    # 0: a regular buyer
    dict(email="Ann.Lee@Example.com", phone="+15550001", full_name="Ann Lee", total_orders=5,
         ltv_cents=50_000, last_order_at=T0, external_id="ext-1", status="ACTIVE", email_verified=True,
         location=Location("Boston", "Massachusetts", "US", "America/New_York"),
         metadata={"vip": True, "favoriteTeam": "Celtics", "birthYear": 1990, "tags": ["a", "b"]}),
    # 1: never ordered, no phone, inactive
    dict(email="bob@gmail.com", phone=None, full_name="Bob Stone", total_orders=0, ltv_cents=0,
         status="INACTIVE", metadata={"vip": False, "favoriteTeam": "Lakers"}),
    # 2: empty-string name, exactly on boundaries
    dict(email="cy@example.org", phone="", full_name="", total_orders=10, ltv_cents=100_000,
         last_order_at=datetime(2024, 6, 1, tzinfo=UTC),
         location=Location("Paris", None, "FR", "Europe/Paris"),
         metadata={"birthYear": "1990"}),
    # 3: nothing much
    dict(email=None, phone="+4470000", full_name="Dee", total_orders=1, ltv_cents=999),
]  # fmt: skip


def members(*rules: RuleInput, rows: list[dict[str, Any]] = ROWS) -> list[int]:
    clock = Clock()
    built = build_rules(rules, "aud", IdFactory(clock, 1))
    mask = compile_rules(built)(make_table(rows, clock))
    return [int(i) for i in mask.nonzero()[0]]


def r(
    field: str, operator: str, *values: Any, group: str | None = None, position: int | None = None
) -> RuleInput:
    return RuleInput(field, operator, values, group, position)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (r("totalOrders", "EQUALS", 5), [0]),
        (r("totalOrders", "NOT_EQUALS", 5), [1, 2, 3]),
        (r("totalOrders", "GREATER_THAN", 5), [2]),
        (r("totalOrders", "GREATER_THAN_OR_EQUAL", 5), [0, 2]),
        (r("totalOrders", "LESS_THAN", 5), [1, 3]),
        (r("totalOrders", "LESS_THAN_OR_EQUAL", 5), [0, 1, 3]),
        (r("totalOrders", "BETWEEN", 1, 5), [0, 3]),  # inclusive at both ends
        (r("totalOrders", "BETWEEN", 5, 5), [0]),
        (r("totalOrders", "IN", 0, 10), [1, 2]),
        (r("totalOrders", "NOT_IN", 0, 10), [0, 3]),
        (r("totalOrders", "EXISTS"), [0, 1, 2, 3]),
        (r("totalOrders", "NOT_EXISTS"), []),
        (r("totalOrderValue", "GREATER_THAN_OR_EQUAL", 1000), [2]),
        (r("ltv", "EQUALS", "500.00"), [0]),  # decimal strings, the reference's money format
        (r("ltv", "LESS_THAN", "9.99"), [1]),
        (r("lifetimeSpend", "LESS_THAN_OR_EQUAL", 9.99), [1, 3]),
        (r("aov", "EQUALS", 100), [0, 2]),
        (r("email", "CONTAINS", "@example"), [0, 2]),
        (r("email", "CONTAINS", "EXAMPLE.COM"), [0]),
        (r("email", "EQUALS", "ann.lee@example.com"), [0]),  # stored case-folded
        (r("email", "NOT_CONTAINS", "example"), [1, 3]),  # missing email matches the negative
        (r("email", "EXISTS"), [0, 1, 2]),
        (r("email", "NOT_EXISTS"), [3]),
        (r("fullName", "EQUALS", "ann lee"), []),  # exact and case-sensitive
        (r("fullName", "EQUALS", "Ann Lee"), [0]),
        (r("fullName", "CONTAINS", "LEE"), [0]),
        (r("fullName", "EXISTS"), [0, 1, 3]),  # the empty string is missing
        (r("fullName", "IN", "Dee", "Bob Stone"), [1, 3]),
        (r("fullName", "NOT_IN", "Dee", "Bob Stone"), [0, 2]),
        (r("phone", "NOT_EXISTS"), [1, 2]),
        (r("phone", "EQUALS", ""), []),
        (r("externalId", "EQUALS", "ext-1"), [0]),
        (r("status", "EQUALS", "INACTIVE"), [1]),
        (r("status", "NOT_IN", "INACTIVE"), [0, 2, 3]),
        (r("emailVerified", "EQUALS", True), [0]),
        (r("emailVerified", "EQUALS", "false"), [1, 2, 3]),
        (r("lastOrderAt", "EXISTS"), [0, 2]),
        (r("lastOrderAt", "GREATER_THAN", "2024-01-01T00:00:00Z"), [2]),
        (r("lastOrderAt", "GREATER_THAN_OR_EQUAL", "2024-01-01T00:00:00Z"), [0, 2]),
        (r("lastOrderAt", "LESS_THAN", "2024-01-01T01:00:00+01:00"), []),  # instants, not wall times
        (r("lastOrderAt", "EQUALS", "2024-01-01"), [0]),
        (r("lastOrderAt", "BETWEEN", "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"), [0, 2]),
        (r("lastOrderAt", "NOT_EQUALS", "2024-01-01T00:00:00Z"), [1, 2, 3]),
        (r("createdAt", "LESS_THAN_OR_EQUAL", "2025-01-01T00:00:00Z"), [0, 1, 2, 3]),
        (r("lastGeoCountry", "IN", "US", "FR"), [0, 2]),
        (r("lastGeoCity", "CONTAINS", "par"), [2]),
        (r("lastGeoRegion", "NOT_EXISTS"), [1, 2, 3]),
        (r("metadata.vip", "EQUALS", True), [0]),
        (r("metadata.vip", "EQUALS", "true"), [0]),
        (r("metadata.vip", "NOT_EQUALS", True), [1, 2, 3]),
        (r("metadata.vip", "EXISTS"), [0, 1]),
        (r("metadata.favoriteTeam", "IN", "Lakers", "Celtics"), [0, 1]),
        (r("metadata.favoriteTeam", "CONTAINS", "cel"), [0]),
        (r("metadata.birthYear", "EQUALS", 1990), [0]),  # no coercion: "1990" is a string
        (r("metadata.birthYear", "GREATER_THAN", 1980), [0]),
        (r("metadata.birthYear", "BETWEEN", "1980", "2000"), [2]),  # strings compare with strings
        (r("metadata.tags", "CONTAINS", "b"), [0]),
        (r("metadata.tags", "EQUALS", "a"), [0]),
        (r("metadata.nothing", "NOT_EXISTS"), [0, 1, 2, 3]),
        (r("metadata.nothing", "EQUALS", 1), []),
    ],
)
def test_operator_semantics(rule: RuleInput, expected: list[int]) -> None:
    assert members(rule) == expected


def test_rules_in_one_group_are_anded_and_groups_are_ored() -> None:
    assert members(
        r("totalOrders", "GREATER_THAN", 0, group="A"), r("email", "CONTAINS", "example", group="A")
    ) == [0, 2]
    assert members(
        r("totalOrders", "EQUALS", 5, group="A"),
        r("status", "EQUALS", "INACTIVE", group="B"),
        r("fullName", "EQUALS", "Dee", group="B"),
    ) == [0]
    assert members(r("totalOrders", "EQUALS", 5, group="A"), r("fullName", "EQUALS", "Dee", group="B")) == [
        0,
        3,
    ]


def test_rules_without_group_form_one_server_assigned_group() -> None:
    clock = Clock()
    rules = build_rules(
        [r("totalOrders", "GREATER_THAN", 0), r("email", "CONTAINS", "x")], "aud", IdFactory(clock, 1)
    )
    assert rules[0].group_id == rules[1].group_id
    assert len(rules[0].group_id) == 36 and rules[0].group_id[14] == "7"  # a UUIDv7
    assert [x.position for x in rules] == [0, 1]
    assert members(r("totalOrders", "GREATER_THAN", 0), r("email", "CONTAINS", "example")) == [0, 2]


def test_empty_rule_set_matches_nobody() -> None:
    assert members() == []


@pytest.mark.parametrize(
    ("rule", "where", "words"),
    [
        (r("loyaltyScore", "EQUALS", 1), "rules.0.field", "Unknown rule field"),
        (r("metadata.", "EXISTS"), "rules.0.field", "Unknown rule field"),
        (r("totalOrders", "LIKE", 1), "rules.0.operator", "Unknown operator"),
        (r("totalOrders", "BETWEEN", 1), "rules.0.values", "exactly 2"),
        (r("totalOrders", "BETWEEN", 1, 2, 3), "rules.0.values", "exactly 2"),
        (r("totalOrders", "BETWEEN", 5, 1), "rules.0.values", "min <= max"),
        (r("totalOrders", "EQUALS"), "rules.0.values", "exactly 1"),
        (r("totalOrders", "EQUALS", 1, 2), "rules.0.values", "exactly 1"),
        (r("totalOrders", "IN"), "rules.0.values", "at least 1"),
        (r("totalOrders", "EXISTS", 1), "rules.0.values", "exactly 0"),
        (r("totalOrders", "EQUALS", "many"), "rules.0.values", "not a valid number"),
        (r("totalOrders", "EQUALS", True), "rules.0.values", "not a valid number"),
        (r("totalOrders", "CONTAINS", 1), "rules.0.operator", "does not apply"),
        (r("email", "GREATER_THAN", "a"), "rules.0.operator", "does not apply"),
        (r("email", "EQUALS", 5), "rules.0.values", "not a valid string"),
        (r("status", "EQUALS", "active"), "rules.0.values", "not a valid enum"),
        (r("lastOrderAt", "GREATER_THAN", "yesterday"), "rules.0.values", "not a valid datetime"),
        (r("lastOrderAt", "GREATER_THAN", 1700000000), "rules.0.values", "not a valid datetime"),
        (r("metadata.vip", "EQUALS", None), "rules.0.values", "not a valid any"),
        (r("metadata.vip", "GREATER_THAN", True), "rules.0.values", "not a valid any"),
    ],
)
def test_bad_rules_are_invalid_with_an_issue_naming_rule_and_field(
    rule: RuleInput, where: str, words: str
) -> None:
    with pytest.raises(Invalid) as caught:
        members(rule)
    (issue,) = caught.value.issues
    assert issue.field == where
    assert words in issue.message and repr(rule.field) in issue.message


def test_every_bad_rule_is_reported_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        members(r("totalOrders", "EQUALS", 1), r("nope", "EQUALS", 1), r("email", "IN"))
    assert [i.field for i in caught.value.issues] == ["rules.1.field", "rules.2.values"]


def test_position_orders_rules_and_missing_positions_follow_existing_ones() -> None:
    clock = Clock()
    rules = build_rules(
        [r("totalOrders", "EXISTS", position=5), r("email", "EXISTS")],
        "aud",
        IdFactory(clock, 1),
        after_position=2,
    )
    assert [x.position for x in rules] == [5, 4]

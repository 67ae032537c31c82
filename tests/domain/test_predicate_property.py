"""The compiled, vectorised predicate agrees with a naive per-consumer evaluation written from the spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mock_server.domain.audiences import (
    APPLICABLE,
    CheckedRule,
    Operator,
    RuleInput,
    arity,
    build_rules,
    check,
    compile_rules,
)
from mock_server.domain.consumers import (
    FIELDS,
    ConsumerRecord,
    Location,
    parse_boolean,
    parse_instant_micros,
    parse_number,
    resolve,
)
from mock_server.domain.kernel import Clock, IdFactory
from tests.domain.conftest import make_table

T0 = datetime(2024, 1, 1, tzinfo=UTC)
WORDS = st.sampled_from(["", "a", "A", "ab", "Ab", "ß", "ss", "x y", "lee", "LEE"])
SCALARS = st.one_of(st.booleans(), st.integers(-3, 3), st.sampled_from([0.5, 1.0, 2.5]), WORDS)
instants = st.integers(0, 4).map(lambda h: T0 + timedelta(hours=h, milliseconds=h * 250))
locations = st.one_of(
    st.none(),
    st.builds(Location, st.sampled_from([None, "", "Paris", "paris", "Lee"]), WORDS, WORDS, st.none()),
)


@st.composite
def consumer_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(1, 8))):
        rows.append(
            dict(
                email=draw(st.one_of(st.none(), WORDS.map(lambda w, i=i: f"{w}{i}@Ex.com"))),
                phone=draw(st.one_of(st.none(), WORDS)),
                full_name=draw(st.one_of(st.none(), WORDS)),
                external_id=draw(st.one_of(st.none(), WORDS)),
                total_orders=draw(st.integers(0, 4)),
                ltv_cents=draw(st.sampled_from([0, 1, 50, 99, 100, 150, 250, 333])),
                last_order_at=draw(st.one_of(st.none(), instants)),
                loyalty_balance=draw(st.integers(0, 3)),
                status=draw(st.sampled_from(["ACTIVE", "INACTIVE"])),
                sms_opt_out=draw(st.booleans()),
                location=draw(locations),
                metadata=draw(
                    st.one_of(
                        st.none(),
                        st.dictionaries(
                            st.sampled_from(["k", "j"]),
                            st.one_of(SCALARS, st.lists(SCALARS, max_size=3)),
                            max_size=2,
                        ),
                    )
                ),
            )
        )
    return rows


FIELD_NAMES = [*FIELDS, "metadata.k", "metadata.j"]
VALUES_BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "string": WORDS,
    "number": st.one_of(st.integers(-1, 5), st.sampled_from([0.5, 1.5, "1.5", "2.50", "0.99"])),
    "datetime": st.sampled_from(
        ["2024-01-01T01:00:00.250Z", "2024-01-01T02:00:00Z", "2024-01-01", "2024-01-01T03:00:00+01:00"]
    ),
    "enum": st.sampled_from(["ACTIVE", "INACTIVE"]),
    "boolean": st.one_of(st.booleans(), st.sampled_from(["true", "false"])),
    "any": SCALARS,
}


@st.composite
def rule_sets(draw: st.DrawFn) -> list[RuleInput]:
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(FIELD_NAMES))
        kind = resolve(field).kind  # type: ignore[union-attr]
        op = draw(st.sampled_from(sorted(APPLICABLE[kind])))
        low, high = arity(op)
        values = tuple(
            draw(st.lists(VALUES_BY_KIND[kind.value], min_size=low, max_size=2 if high is None else high))
        )
        assume(isinstance(check(field, op, values), CheckedRule))
        rules.append(RuleInput(field, op, values, draw(st.sampled_from(["g1", "g2", None]))))
    return rules


# ---- the naive reference: straight from the semantics in predicate's docstring ---------------------
def stored_value(record: ConsumerRecord, field: str) -> Any:
    if field.startswith("metadata."):
        value = (record.metadata or {}).get(field[len("metadata.") :])
        return tuple(value) if isinstance(value, list) else value
    loc = record.location
    table: dict[str, Any] = {
        "email": record.email,
        "phone": record.phone,
        "fullName": record.full_name,
        "externalId": record.external_id,
        "totalOrders": record.total_orders,
        "totalOrderValue": record.ltv_cents / 100,
        "lifetimeSpend": record.ltv_cents / 100,
        "ltv": record.ltv_cents / 100,
        "aov": record.aov_cents / 100,
        "totalReturns": record.total_returns,
        "loyaltyBalance": record.loyalty_balance,
        "loyaltyLifetimePoints": record.loyalty_lifetime_points,
        "activityScore": record.activity_score,
        "monetaryScore": record.monetary_score,
        "purchaseFrequencyScore": record.purchase_frequency_score,
        "lastOrderAt": record.last_order_at,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "status": record.status.value,
        "emailVerified": record.email_verified,
        "phoneVerified": record.phone_verified,
        "smsOptOut": record.sms_opt_out,
        "lastGeoCity": loc and loc.city,
        "lastGeoRegion": loc and loc.region,
        "lastGeoCountry": loc and loc.country,
        "lastGeoTimezone": loc and loc.timezone,
    }
    return table[field]


def naive_equal(kind: str, stored: Any, value: Any, field: str) -> bool:
    if kind == "number":
        return stored == parse_number(value)
    if kind == "datetime":
        return int(stored.timestamp() * 1_000_000) == parse_instant_micros(value)
    if kind == "boolean":
        return stored == parse_boolean(value)
    if kind in ("string", "enum"):
        return stored.casefold() == value.casefold() if field == "email" else stored == value
    if isinstance(stored, bool):
        return value is stored or (isinstance(value, str) and value.lower() == str(stored).lower())
    if isinstance(stored, str) or isinstance(value, str | bool):
        return type(stored) is type(value) and stored == value
    return stored == value


def naive_order(kind: str, stored: Any, value: Any) -> Any:
    if kind == "number":
        return stored, parse_number(value)
    if kind == "datetime":
        return int(stored.timestamp() * 1_000_000), parse_instant_micros(value)
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (stored, value))
    if numbers or (isinstance(stored, str) and isinstance(value, str)):
        return stored, value
    return None


def naive(record: ConsumerRecord, rule: RuleInput) -> bool:
    field = rule.field
    kind = "any" if field.startswith("metadata.") else FIELDS[field].kind.value
    stored = stored_value(record, field)
    missing = stored is None or stored == "" or stored == ()
    op, values = Operator(rule.operator), rule.values
    negated = {"NOT_EQUALS": "EQUALS", "NOT_IN": "IN", "NOT_CONTAINS": "CONTAINS", "NOT_EXISTS": "EXISTS"}
    if op.value in negated:
        return not naive(record, RuleInput(field, negated[op.value], values))
    if op is Operator.EXISTS:
        return not missing
    if missing:
        return False
    elements = stored if isinstance(stored, tuple) else (stored,)
    if op in (Operator.EQUALS, Operator.IN):
        return any(naive_equal(kind, e, v, field) for e in elements for v in values)
    if op is Operator.CONTAINS:
        if isinstance(stored, tuple):
            return any(naive_equal(kind, e, values[0], field) for e in stored)
        return (
            isinstance(stored, str)
            and isinstance(values[0], str)
            and values[0].casefold() in stored.casefold()
        )
    for e in elements:
        pairs = [naive_order(kind, e, v) for v in values]
        if any(p is None for p in pairs):
            continue
        if op is Operator.BETWEEN and pairs[0][1] <= pairs[0][0] <= pairs[1][1]:
            return True
        a, b = pairs[0]
        if (
            (op is Operator.GREATER_THAN and a > b)
            or (op is Operator.GREATER_THAN_OR_EQUAL and a >= b)
            or (op is Operator.LESS_THAN and a < b)
            or (op is Operator.LESS_THAN_OR_EQUAL and a <= b)
        ):
            return True
    return False


def naive_members(records: list[ConsumerRecord], rules: list[RuleInput], group_ids: list[str]) -> list[int]:
    groups: dict[str, list[RuleInput]] = {}
    for rule, group in zip(rules, group_ids, strict=True):
        groups.setdefault(group, []).append(rule)
    return [
        rec.position
        for rec in records
        if any(all(naive(rec, rule) for rule in group) for group in groups.values())
    ]


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)
@given(rows=consumer_rows(), rules=rule_sets())
def test_compiled_predicate_matches_naive_evaluation(
    rows: list[dict[str, Any]], rules: list[RuleInput]
) -> None:
    clock = Clock(T0)
    table = make_table(rows, clock)
    built = build_rules(rules, "aud", IdFactory(clock, 1))
    compiled = [int(i) for i in compile_rules(built)(table).nonzero()[0]]
    records = table.records(range(len(table)))
    assert compiled == naive_members(records, rules, [b.group_id for b in built])

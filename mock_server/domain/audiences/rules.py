"""Audience rules as values: the 13 operators, a rule, and the checks that turn client input into rules.

Checks are per operator and field kind (see `predicate` for what each operator means): an unknown
field, an operator that does not apply to the field's kind, a wrong number of values, or a value of
the wrong type is `Invalid`, with one Issue per problem naming the rule's index and field.
Grouping: rules with the same groupId are ANDed, different groups ORed; the rules of one request that
come without a groupId form ONE new group whose id the server assigns (UUIDv7). `position` orders
evaluation; a rule without one is placed after the rules already there, in request order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from mock_server.domain.consumers import (
    Field,
    FieldKind,
    parse_boolean,
    parse_instant_micros,
    parse_number,
    resolve,
)
from mock_server.domain.kernel import IdFactory, Invalid, Issue

#: What one audience may hold (declared as `maxItems` on every rule array of the spec): bounds the cost of
#: a materialization, which evaluates each group over the whole consumer table.
MAX_RULES = 100
MAX_GROUPS = 20


class Operator(StrEnum):
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    GREATER_THAN = "GREATER_THAN"
    GREATER_THAN_OR_EQUAL = "GREATER_THAN_OR_EQUAL"
    LESS_THAN = "LESS_THAN"
    LESS_THAN_OR_EQUAL = "LESS_THAN_OR_EQUAL"
    BETWEEN = "BETWEEN"
    CONTAINS = "CONTAINS"
    NOT_CONTAINS = "NOT_CONTAINS"
    IN = "IN"
    NOT_IN = "NOT_IN"
    EXISTS = "EXISTS"
    NOT_EXISTS = "NOT_EXISTS"


#: Each negative operator is exactly the complement of its positive twin (missing values included).
NEGATION: MappingProxyType[Operator, Operator] = MappingProxyType(
    {
        Operator.NOT_EQUALS: Operator.EQUALS,
        Operator.NOT_CONTAINS: Operator.CONTAINS,
        Operator.NOT_IN: Operator.IN,
        Operator.NOT_EXISTS: Operator.EXISTS,
    }
)
ORDERING = frozenset(
    {
        Operator.GREATER_THAN,
        Operator.GREATER_THAN_OR_EQUAL,
        Operator.LESS_THAN,
        Operator.LESS_THAN_OR_EQUAL,
        Operator.BETWEEN,
    }
)
_EQUALITY = frozenset({Operator.EQUALS, Operator.NOT_EQUALS, Operator.IN, Operator.NOT_IN})
_PRESENCE = frozenset({Operator.EXISTS, Operator.NOT_EXISTS})
_TEXT = frozenset({Operator.CONTAINS, Operator.NOT_CONTAINS})

APPLICABLE: MappingProxyType[FieldKind, frozenset[Operator]] = MappingProxyType(
    {
        FieldKind.STRING: _EQUALITY | _PRESENCE | _TEXT,
        FieldKind.NUMBER: _EQUALITY | _PRESENCE | ORDERING,
        FieldKind.DATETIME: _EQUALITY | _PRESENCE | ORDERING,
        FieldKind.ENUM: _EQUALITY | _PRESENCE,
        FieldKind.BOOLEAN: _EQUALITY | _PRESENCE,
        FieldKind.ANY: frozenset(Operator),
    }
)


def arity(operator: Operator) -> tuple[int, int | None]:
    """(min, max) number of values an operator takes; None is unbounded."""
    if operator in _PRESENCE:
        return 0, 0
    if operator is Operator.BETWEEN:
        return 2, 2
    if operator in (Operator.IN, Operator.NOT_IN):
        return 1, None
    return 1, 1


@dataclass(frozen=True, slots=True)
class RuleInput:
    """A rule as a client sends it (values as sent; group and position optional)."""

    field: str
    operator: str
    values: tuple[Any, ...] = ()
    group_id: str | None = None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    audience_id: str
    field: str
    operator: Operator
    values: tuple[Any, ...]  # as the client sent them, echoed back
    group_id: str
    position: int


@dataclass(frozen=True, slots=True)
class CheckedRule:
    """A rule's field resolved and its values parsed for evaluation."""

    field: Field
    operator: Operator
    values: tuple[Any, ...]


def check(field_name: str, operator: str, values: Sequence[Any]) -> CheckedRule | Issue:
    """Parse one rule or say what is wrong with it (Issue.field is relative: field, operator or values)."""
    field = resolve(field_name) if isinstance(field_name, str) else None
    if field is None:
        return Issue("field", f"Unknown rule field {field_name!r}")
    try:
        op = Operator(operator)
    except ValueError:
        return Issue("operator", f"Unknown operator {operator!r}")
    if op not in APPLICABLE[field.kind]:
        return Issue(
            "operator", f"Operator {op.value} does not apply to {field.kind.value} field {field.name!r}"
        )
    if not isinstance(values, list | tuple):
        return Issue("values", f"Values of {field.name!r} must be an array")
    low, high = arity(op)
    if len(values) < low or (high is not None and len(values) > high):
        want = f"exactly {low}" if low == high else f"at least {low}"
        return Issue("values", f"{op.value} on {field.name!r} takes {want} value(s), got {len(values)}")
    parsed: list[Any] = []
    for value in values:
        ok = _parse_value(field, op, value)
        if ok is None:
            return Issue("values", f"{value!r} is not a valid {field.kind.value} value for {field.name!r}")
        parsed.append(ok)
    if op is Operator.BETWEEN and not _ordered(parsed[0], parsed[1]):
        return Issue("values", f"BETWEEN on {field.name!r} needs [min, max] with min <= max")
    return CheckedRule(field, op, tuple(parsed))


def _ordered(low: Any, high: Any) -> bool:
    try:
        return bool(low <= high)
    except TypeError:
        return False


def _parse_value(field: Field, op: Operator, value: Any) -> Any:
    kind = field.kind
    if kind is FieldKind.STRING:
        if not isinstance(value, str):
            return None
        return value.casefold() if field.casefold_equality or op in _TEXT else value
    if kind is FieldKind.NUMBER:
        return parse_number(value)
    if kind is FieldKind.DATETIME:
        return parse_instant_micros(value)
    if kind is FieldKind.ENUM:
        return value if isinstance(value, str) and value in field.choices else None
    if kind is FieldKind.BOOLEAN:
        return parse_boolean(value)
    # metadata: any JSON scalar; ordering needs a number or a string; CONTAINS on text folds case
    if value is None or isinstance(value, list | dict):
        return None
    if op in ORDERING and isinstance(value, bool):
        return None
    return value  # CONTAINS on metadata folds at match time: an array element must equal the value as sent


def check_inputs(inputs: Sequence[RuleInput], prefix: str = "rules") -> list[CheckedRule]:
    """Check many rules at once: every problem becomes one Issue (`rules.<i>.<part>`), raised together."""
    issues: list[Issue] = []
    checked: list[CheckedRule] = []
    for i, rule in enumerate(inputs):
        result = check(rule.field, rule.operator, rule.values)
        if isinstance(result, Issue):
            where = f"{prefix}.{i}.{result.field}" if prefix else result.field
            issues.append(Issue(where, f"Rule {i} ({rule.field!r}): {result.message}"))
        else:
            checked.append(result)
        if rule.position is not None and (
            isinstance(rule.position, bool) or not isinstance(rule.position, int)
        ):
            issues.append(
                Issue(f"{prefix}.{i}.position" if prefix else "position", "position must be an integer")
            )
    if issues:
        raise Invalid("Invalid rules", tuple(issues))
    return checked


def build_rules(
    inputs: Sequence[RuleInput],
    audience_id: str,
    ids: IdFactory,
    *,
    after_position: int = -1,
    prefix: str = "rules",
    kept: Sequence[Rule] = (),
) -> list[Rule]:
    """Check client rules and give them ids, groups and positions; `kept` are the audience's rules that
    stay beside them (for the limits)."""
    check_inputs(inputs, prefix)
    check_limits(inputs, kept, prefix)
    default_group = ids.new() if any(not r.group_id for r in inputs) else ""
    rules = []
    for i, rule in enumerate(inputs):
        rules.append(
            Rule(
                id=ids.new(),
                audience_id=audience_id,
                field=rule.field,
                operator=Operator(rule.operator),
                values=tuple(rule.values),
                group_id=rule.group_id or default_group,
                position=rule.position if rule.position is not None else after_position + 1 + i,
            )
        )
    return rules


def provisional_rules(inputs: Sequence[RuleInput], kept: Sequence[Rule] = ()) -> list[Rule] | None:
    """The rules an audience would hold after `build_rules(inputs, kept=kept)`, with no id drawn (to
    evaluate them ahead of the change); None when `build_rules` would refuse them."""
    try:
        check_inputs(inputs)
        check_limits(inputs, kept)
    except Invalid:
        return None
    new_group = "\x00new"  # stands for the id of the group `build_rules` makes: only the grouping matters
    return [
        *kept,
        *(
            Rule("", "", r.field, Operator(r.operator), tuple(r.values), r.group_id or new_group, i)
            for i, r in enumerate(inputs)
        ),
    ]


def check_limits(inputs: Sequence[RuleInput], kept: Sequence[Rule] = (), prefix: str = "rules") -> None:
    """At most MAX_RULES rules in at most MAX_GROUPS groups, counting the rules the audience keeps."""
    where = prefix or "rules"
    total = len(kept) + len(inputs)
    if total > MAX_RULES:
        raise Invalid(
            "Too many rules",
            (Issue(where, f"An audience holds at most {MAX_RULES} rules; this would make {total}"),),
        )
    groups = {r.group_id for r in kept} | {r.group_id for r in inputs if r.group_id}
    if any(not r.group_id for r in inputs):
        groups.add("")  # the one new group the server assigns
    if len(groups) > MAX_GROUPS:
        raise Invalid(
            "Too many rule groups",
            (Issue(where, f"An audience holds at most {MAX_GROUPS} groups; this would make {len(groups)}"),),
        )


def ordered(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    """Rules in evaluation order: by position, ties in the order they were added."""
    return tuple(sorted(rules, key=lambda r: r.position))

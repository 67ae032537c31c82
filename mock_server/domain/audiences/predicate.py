"""Rule semantics, and rule sets compiled once into one vectorised evaluation over the consumer columns.

What each operator means (the reference's 13; the guide's 10 are a subset):

- Missing values. A value is missing when absent or null; for strings the empty string is missing too;
  for metadata arrays the empty array is. EXISTS is true for present values, NOT_EXISTS for missing ones.
- Negatives are complements. NOT_EQUALS, NOT_IN, NOT_CONTAINS and NOT_EXISTS are exactly `not` their
  positive twin, so a consumer without a phone matches `phone NOT_EQUALS "+1..."`. Every other
  operator is false on a missing value.
- Strings. EQUALS and IN are exact and case-sensitive, except `email`, which is stored lower-cased
  and compared case-insensitively. CONTAINS is a case-insensitive substring test (Unicode casefold).
  Ordering operators and BETWEEN do not apply to string, enum or boolean fields (Invalid).
- Numbers. Compared numerically; a value may be a JSON number or a decimal string ("1000.50", the
  reference's money format). Money fields (totalOrderValue = lifetimeSpend = ltv, aov) compare in currency
  units, aov being ltv / totalOrders rounded half-up to the cent. IN is equality with any value.
  CONTAINS does not apply to numbers (Invalid). BETWEEN is inclusive at both ends and takes [min, max].
- Datetimes are compared as instants (ISO-8601 values; no offset means UTC) at the stored millisecond
  precision: lastOrderAt GREATER_THAN "2024-01-01T00:00:00Z" means strictly later.
- Booleans accept true/false or the strings "true"/"false" (the guide's values cannot carry booleans).
- metadata.<key> is typed by the stored value: numbers compare with numbers, strings with strings
  (ordering is lexicographic), booleans with booleans or "true"/"false"; a value of another type never
  matches (no coercion: "1990" does not equal 1990). An array value matches when any element does;
  CONTAINS on an array means an element equals the value.
- Groups: rules with the same groupId are ANDed, groups are ORed; an empty rule set matches nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mock_server.domain.audiences.rules import NEGATION, CheckedRule, Operator, Rule, check
from mock_server.domain.consumers import MISSING_TIME, STATUS_ORDER, ConsumerRows, Field, FieldKind, Source

Mask = npt.NDArray[np.bool_]
Predicate = Callable[[ConsumerRows], Mask]


# ---- one stored value -----------------------------------------------------------------------------
def present(stored: Any) -> bool:
    return stored is not None and stored != "" and stored != ()


def _eq(stored: Any, value: Any) -> bool:
    if isinstance(stored, bool):
        if isinstance(value, str):
            return value.lower() in ("true", "false") and stored == (value.lower() == "true")
        return isinstance(value, bool) and stored == value
    if isinstance(stored, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool) and stored == value
    if isinstance(stored, str):
        return isinstance(value, str) and stored == value
    return False


def _cmp(stored: Any, op: Operator, value: Any) -> bool:
    both_numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (stored, value))
    if not both_numbers and not (isinstance(stored, str) and isinstance(value, str)):
        return False
    if op is Operator.GREATER_THAN:
        return bool(stored > value)
    if op is Operator.GREATER_THAN_OR_EQUAL:
        return bool(stored >= value)
    if op is Operator.LESS_THAN:
        return bool(stored < value)
    return bool(stored <= value)


def match_value(op: Operator, stored: Any, values: Sequence[Any]) -> bool:
    """Whether one stored value satisfies an operator with parsed values (the semantics above)."""
    if op is Operator.EXISTS:
        return present(stored)
    positive = NEGATION.get(op)
    if positive is not None:
        return not match_value(positive, stored, values)
    if not present(stored):
        return False
    if isinstance(stored, tuple):  # a metadata array: any element
        if op is Operator.CONTAINS:
            return any(_eq(element, values[0]) for element in stored)
        return any(match_value(op, element, values) for element in stored)
    if op is Operator.EQUALS:
        return _eq(stored, values[0])
    if op is Operator.IN:
        return any(_eq(stored, v) for v in values)
    if op is Operator.CONTAINS:
        return (
            isinstance(stored, str)
            and isinstance(values[0], str)
            and values[0].casefold() in stored.casefold()
        )
    if op is Operator.BETWEEN:
        return _cmp(stored, Operator.GREATER_THAN_OR_EQUAL, values[0]) and _cmp(
            stored, Operator.LESS_THAN_OR_EQUAL, values[1]
        )
    return _cmp(stored, op, values[0])


# ---- whole columns ----------------------------------------------------------------------------------
def compile_rules(rules: Sequence[Rule]) -> Predicate:
    """One predicate for a whole rule set: AND within a group, OR across groups, in position order."""
    groups: dict[str, list[CheckedRule]] = {}
    for rule in sorted(rules, key=lambda r: r.position):
        checked = check(rule.field, rule.operator, rule.values)
        if not isinstance(checked, CheckedRule):  # stored rules were checked on the way in
            raise ValueError(f"rule {rule.id} no longer checks: {checked.message}")
        groups.setdefault(rule.group_id, []).append(checked)
    compiled = [[compile_rule(c) for c in group] for group in groups.values()]

    def predicate(table: ConsumerRows) -> Mask:
        result = np.zeros(len(table), dtype=np.bool_)
        for group in compiled:
            mask = group[0](table)
            for part in group[1:]:
                if not mask.any():
                    break
                mask &= part(table)
            result |= mask
        return result

    return predicate


def compile_rule(rule: CheckedRule) -> Predicate:
    op, values, field = rule.operator, rule.values, rule.field
    positive = NEGATION.get(op)
    if positive is not None and op is not Operator.NOT_EXISTS:
        inner = compile_rule(CheckedRule(field, positive, values))
        return lambda table: ~inner(table)
    source = field.source
    if source in (Source.NUMBER, Source.MONEY, Source.AOV, Source.FLAG):
        return _numeric(field, op, values)
    if source is Source.TIME:
        return _time(field, op, values)
    if source is Source.TEXT:
        return _text(field, op, values)
    return _categorical(field, op, values)


def _numbers(table: ConsumerRows, field: Field) -> npt.NDArray[Any]:
    if field.source is Source.MONEY:
        return table.column("ltv_cents") / 100.0
    if field.source is Source.AOV:
        cents, orders = table.column("ltv_cents"), table.column("total_orders").astype(np.int64)
        safe = np.maximum(orders, 1)
        return np.where(orders > 0, (2 * cents + safe) // (2 * safe), 0) / 100.0
    return table.column(field.column)


def _numeric(field: Field, op: Operator, values: tuple[Any, ...]) -> Predicate:
    if op is Operator.EXISTS:
        return lambda table: np.ones(len(table), dtype=np.bool_)
    if op is Operator.NOT_EXISTS:
        return lambda table: np.zeros(len(table), dtype=np.bool_)
    if field.kind is FieldKind.BOOLEAN:
        values = tuple(bool(v) for v in values)
    first = values[0]
    comparisons: dict[Operator, Callable[[npt.NDArray[Any]], Mask]] = {
        Operator.EQUALS: lambda a: a == first,
        Operator.IN: lambda a: np.isin(a, np.asarray(values)),
        Operator.GREATER_THAN: lambda a: a > first,
        Operator.GREATER_THAN_OR_EQUAL: lambda a: a >= first,
        Operator.LESS_THAN: lambda a: a < first,
        Operator.LESS_THAN_OR_EQUAL: lambda a: a <= first,
        Operator.BETWEEN: lambda a: (a >= values[0]) & (a <= values[1]),
    }
    compare = comparisons[op]
    return lambda table: np.asarray(compare(_numbers(table, field)), dtype=np.bool_)


def _time(field: Field, op: Operator, values: tuple[Any, ...]) -> Predicate:
    # values are epoch microseconds; stored millis t satisfy t*1000 > x  <=>  t > floor(x / 1000), etc.
    def floor_ms(x: int) -> int:
        return x // 1000

    def ceil_ms(x: int) -> int:
        return -((-x) // 1000)

    def present_mask(t: npt.NDArray[Any]) -> Mask:
        return np.asarray(t != MISSING_TIME, dtype=np.bool_)

    def test(t: npt.NDArray[Any]) -> Mask:
        if op is Operator.EXISTS:
            return present_mask(t)
        if op is Operator.NOT_EXISTS:
            return ~present_mask(t)
        if op in (Operator.EQUALS, Operator.IN):
            exact = [v // 1000 for v in values if v % 1000 == 0]
            return np.isin(t, np.asarray(exact, dtype=np.int64)) & present_mask(t)
        if op is Operator.GREATER_THAN:
            return (t > floor_ms(values[0])) & present_mask(t)
        if op is Operator.GREATER_THAN_OR_EQUAL:
            return (t >= ceil_ms(values[0])) & present_mask(t)
        if op is Operator.LESS_THAN:
            return (t < ceil_ms(values[0])) & present_mask(t)
        if op is Operator.LESS_THAN_OR_EQUAL:
            return (t <= floor_ms(values[0])) & present_mask(t)
        return (t >= ceil_ms(values[0])) & (t <= floor_ms(values[1])) & present_mask(t)

    return lambda table: test(table.column(field.column))


def _text(field: Field, op: Operator, values: tuple[Any, ...]) -> Predicate:
    name = field.column
    folded = field.casefold_equality  # the column itself is stored case-folded (email)

    def run(table: ConsumerRows) -> Mask:
        column = table.strings(name)
        n = len(column)
        if op is Operator.EXISTS:
            return np.fromiter(map(bool, column), dtype=np.bool_, count=n)
        if op is Operator.NOT_EXISTS:
            return ~np.fromiter(map(bool, column), dtype=np.bool_, count=n)
        if op is Operator.CONTAINS:
            needle = values[0]
            if needle and "\x00" not in needle:
                return table.contains(name, needle)
            if folded:
                return np.fromiter((bool(s) and needle in s for s in column), dtype=np.bool_, count=n)  # type: ignore[operator]
            return np.fromiter(
                (bool(s) and needle in s.casefold() for s in column),  # type: ignore[union-attr]
                dtype=np.bool_,
                count=n,
            )
        wanted = frozenset(v for v in values if v != "")
        if not wanted:
            return np.zeros(n, dtype=np.bool_)
        if len(wanted) == 1:
            (one,) = wanted
            return np.fromiter((s == one for s in column), dtype=np.bool_, count=n)
        return np.fromiter((s in wanted for s in column), dtype=np.bool_, count=n)

    return run


def _categorical(field: Field, op: Operator, values: tuple[Any, ...]) -> Predicate:
    """Status, location attributes and metadata: decide once per distinct value, gather through the codes."""

    def run(table: ConsumerRows) -> Mask:
        if field.source is Source.STATUS:
            codes, pool = table.column("status").astype(np.int32), [s.value for s in STATUS_ORDER]
        elif field.source is Source.GEO:
            codes, pool = table.column("geo"), [getattr(loc, field.column) for loc in table.locations]
        else:
            found = table.metadata.column(field.column)
            if found is None:
                return np.full(len(table), match_value(op, None, values), dtype=np.bool_)
            codes, pool = found  # type: ignore[assignment]
        lut = np.fromiter(
            (match_value(op, v, values) for v in [*pool, None]), dtype=np.bool_, count=len(pool) + 1
        )
        return lut[codes]  # code -1 (missing) picks the last entry

    return run

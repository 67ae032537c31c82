"""The business rules the suite holds a target to, as pure functions over parsed JSON.

Both the registered schemathesis checks (one response at a time) and the scripted scenarios (several
calls) judge with these, so a rule is written once and unit-tested without a server.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.families import Family

__all__ = [
    "AUTH_MESSAGES",
    "duplicates",
    "error_envelope_problems",
    "experience_status_problem",
    "matches_search",
    "parse_time",
    "tier_overlaps",
]

AUTH_MESSAGES = frozenset({"Authentication required", "Secret key required"})
_SEARCHED_FIELDS = ("email", "phone", "fullName", "name", "firstName", "lastName")


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 instant (a trailing Z allowed) as an aware datetime; None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def error_envelope_problems(family: Family, status: int, body: Any) -> list[str]:
    """What is wrong with a 4xx body for this family's error envelope (D7); empty when it conforms.

    Guide (`/api/v1`): `{"error": str, "message"?: str, "details"?: [{field, message}]}`, a validation
    failure being `Validation failed` with details. Reference (`/api`): a validation failure is
    `{"error": "validation_error", "issues": [...]}`, anything else `{"error": str}`.
    """
    if not 400 <= status < 500:
        return []
    if not isinstance(body, Mapping):
        return [f"the body is not a JSON object but {type(body).__name__}"]
    error = body.get("error")
    if not isinstance(error, str) or not error:
        return ['it has no "error" string']
    problems: list[str] = []
    if status == 401 and error not in AUTH_MESSAGES:
        problems.append(f'a 401 says {error!r}, expected "Authentication required" or "Secret key required"')
    if family.dialect == "guide":
        if error == "validation_error" or "issues" in body:
            problems.append(
                'it uses the reference envelope ("validation_error"/"issues") on the guide family'
            )
        details = body.get("details")
        well_formed = isinstance(details, list) and all(
            isinstance(d, Mapping) and isinstance(d.get("field"), str) and isinstance(d.get("message"), str)
            for d in details
        )
        if details is not None and not well_formed:
            problems.append('"details" is not a list of {field, message}')
        if error == "Validation failed" and not details:
            problems.append('"Validation failed" without "details" naming the fields')
        if "message" in body and not isinstance(body["message"], str):
            problems.append('"message" is not a string')
    else:
        if error == "Validation failed" or "details" in body:
            problems.append(
                'it uses the guide envelope ("Validation failed"/"details") on the reference family'
            )
        if error == "validation_error":
            issues = body.get("issues")
            if not isinstance(issues, list) or not issues:
                problems.append('"validation_error" without a non-empty "issues" list')
            elif not all(isinstance(i, Mapping) and isinstance(i.get("message"), str) for i in issues):
                problems.append('an entry of "issues" has no "message"')
        elif "issues" in body:
            problems.append('"issues" without error "validation_error"')
    return problems


def matches_search(item: Mapping[str, Any], term: str) -> bool:
    """Whether a member matches a search term: case-insensitively in email, phone or name."""
    needle = term.casefold()
    for key in _SEARCHED_FIELDS:
        value = item.get(key)
        if isinstance(value, str) and needle in value.casefold():
            return True
    # A phone search may be written without the formatting the stored number has.
    digits = "".join(ch for ch in term if ch.isdigit())
    phone = item.get("phone")
    return bool(digits) and digits == term.strip("+ ") and isinstance(phone, str) and digits in _digits(phone)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def duplicates(values: Iterable[Any]) -> list[Any]:
    seen: set[Any] = set()
    repeated: list[Any] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def experience_status_problem(
    body: Mapping[str, Any], now: datetime, *, margin: timedelta = timedelta(minutes=1)
) -> str | None:
    """Whether a guide experience's `status` agrees with its `openAt`/`closeAt` at `now`.

    draft: no openAt (whatever closeAt says); scheduled: openAt in the future; active: open and not
    closed; completed: closeAt passed. Instants within `margin` of now are not judged (clocks differ).
    """
    status = body.get("status")
    if not isinstance(status, str):
        return None
    open_at, close_at = parse_time(body.get("openAt")), parse_time(body.get("closeAt"))
    if body.get("openAt") is None:
        expected = "draft"  # whatever closeAt says: the spec's "draft without openAt"
    elif open_at is None:
        return None  # not an instant: the schema checks report that
    elif close_at is not None and close_at < now - margin:
        expected = "completed"
    elif open_at is not None and open_at > now + margin:
        expected = "scheduled"
    elif open_at is not None and open_at < now - margin and (close_at is None or close_at > now + margin):
        expected = "active"
    else:
        return None  # too close to a boundary to judge
    if status != expected:
        return (
            f"status is {status!r} but openAt={body.get('openAt')!r}, closeAt={body.get('closeAt')!r} "
            f"at {now.isoformat()} make it {expected!r}"
        )
    return None


def tier_overlaps(tiers: Sequence[tuple[str, float, float | None]]) -> list[str]:
    """Overlapping half-open ranges `[start, end)` among (name, start, end-or-None) tiers."""
    problems: list[str] = []
    ordered = sorted(tiers, key=lambda tier: tier[1])
    for (name_a, start_a, end_a), (name_b, start_b, _end_b) in itertools.pairwise(ordered):
        if end_a is None or end_a > start_b:
            upper = "∞" if end_a is None else f"{end_a:g}"
            problems.append(
                f"tier {name_a} [{start_a:g}, {upper}) overlaps tier {name_b} starting at {start_b:g}"
            )
    return problems

"""Fanfare's single-response rules as schemathesis checks (`@schemathesis.check`).

Importing this module registers them; schemathesis then runs them on every response of every phase,
next to its built-in checks. Each raises `ContractFailure` with a title a person understands. They
judge only the Admin API's two families and stay silent on anything else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import schemathesis

from contracts import rules
from contracts.families import Family, family_of_path
from contracts.schemathesis_adapter import ContractFailure

__all__ = ["CHECK_FUNCTIONS", "CHECK_NAMES", "ContractFailure"]


def _fail(case: Any, title: str, message: str) -> ContractFailure:
    return ContractFailure(operation=case.operation.label, title=title, message=message)


def _json(response: Any) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, TypeError):
        return None


def _family(case: Any) -> Family | None:
    return family_of_path(case.path)


def _query(case: Any, name: str) -> Any:
    return (case.query or {}).get(name)


@schemathesis.check
def fanfare_error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx body follows its family's error envelope (guide `details`, reference `issues`)."""
    family = _family(case)
    if family is None or not 400 <= response.status_code < 500 or response.status_code in (405, 406):
        return None
    problems = rules.error_envelope_problems(family, response.status_code, _json(response))
    if problems:
        raise _fail(
            case,
            f"Wrong error envelope for the {family.dialect} family",
            f"{response.status_code} from {case.method} {case.formatted_path}: " + "; ".join(problems),
        )
    return None


def _audiences_in(body: Any) -> list[Mapping[str, Any]]:
    if isinstance(body, Mapping):
        if isinstance(body.get("data"), list):
            return [a for a in body["data"] if isinstance(a, Mapping)]
        if isinstance(body.get("audiences"), list):
            return [a for a in body["audiences"] if isinstance(a, Mapping)]
        return [body]
    if isinstance(body, list):
        return [a for a in body if isinstance(a, Mapping)]
    return []


@schemathesis.check
def fanfare_type_spelling(ctx: Any, response: Any, case: Any) -> bool | None:
    """An audience's static type is spelled STATIC on /api/v1 and STATIC_LIST on /api (D5)."""
    family = _family(case)
    if family is None or not 200 <= response.status_code < 300 or "/audiences" not in case.path:
        return None
    if "/members" in case.path or case.path.endswith(("/count", "/status", "/sync")):
        return None
    for audience in _audiences_in(_json(response)):
        if audience.get("type") == family.other_static_type:
            raise _fail(
                case,
                f"Audience type spelled {family.other_static_type} on the {family.dialect} family",
                f"audience {audience.get('id')!r} has type {family.other_static_type!r}; "
                f"{family.prefix} spells it {family.static_type!r}",
            )
    return None


@schemathesis.check
def fanfare_page_size(ctx: Any, response: Any, case: Any) -> bool | None:
    """A page holds at most `first` items (default 20, never more than 100)."""
    if _family(case) is None or case.method != "GET" or response.status_code != 200:
        return None
    body = _json(response)
    if not (isinstance(body, Mapping) and isinstance(body.get("data"), list) and "pageInfo" in body):
        return None
    first = _query(case, "first")
    try:
        limit = min(int(first), 100) if first is not None else 20
    except (TypeError, ValueError):
        return None
    if len(body["data"]) > limit:
        raise _fail(
            case,
            "Page larger than requested",
            f"{case.method} {case.formatted_path} with first={first!r} returned {len(body['data'])} items "
            f"(at most {limit} allowed)",
        )
    return None


@schemathesis.check
def fanfare_search_filters(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every member a `search` returns matches the term in email, phone or name."""
    term = _query(case, "search")
    if _family(case) is None or not isinstance(term, str) or response.status_code != 200:
        return None
    if not case.path.endswith("/members"):
        return None
    body = _json(response)
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        return None
    misses = [m.get("id") for m in data if isinstance(m, Mapping) and not rules.matches_search(m, term)]
    if misses:
        raise _fail(
            case,
            "Search returned members that do not match",
            f"search={term!r} returned {len(misses)} member(s) matching it in neither email, phone nor name, "
            f"e.g. {misses[:3]}",
        )
    return None


_ID_PARAMETERS = ("audienceId", "id")


@schemathesis.check
def fanfare_resource_identity(ctx: Any, response: Any, case: Any) -> bool | None:
    """A read or write of one entity answers with that entity (its `id`, or `audienceId`)."""
    if _family(case) is None or not 200 <= response.status_code < 300 or not case.path_parameters:
        return None
    body = _json(response)
    if not isinstance(body, Mapping):
        return None
    segments = case.path.rstrip("/").split("/")
    last = segments[-1]
    for name in _ID_PARAMETERS:
        wanted = case.path_parameters.get(name)
        if wanted is None:
            continue
        if last == "{" + name + "}":
            got, field = body.get("id"), "id"
        elif last in ("count", "status") and name == "audienceId":
            got, field = body.get("audienceId"), "audienceId"
        else:
            continue
        if got is not None and str(got) != str(wanted):
            raise _fail(
                case,
                "Response is about another entity",
                f"{case.method} {case.formatted_path} answered with {field}={got!r}, not {wanted!r}",
            )
    return None


@schemathesis.check
def fanfare_experience_status(ctx: Any, response: Any, case: Any) -> bool | None:
    """A guide experience's `status` agrees with `openAt`/`closeAt` (judged at the write's updatedAt)."""
    family = _family(case)
    if family is None or family.dialect != "guide" or "/experiences" not in case.path:
        return None
    if case.method not in ("POST", "PUT") or not 200 <= response.status_code < 300:
        return None
    body = _json(response)
    if not isinstance(body, Mapping):
        return None
    # The server's own clock at the write: a virtual clock need not be the wall clock.
    now = rules.parse_time(body.get("updatedAt"))
    if now is None:
        return None
    problem = rules.experience_status_problem(body, now)
    if problem:
        raise _fail(case, "Experience status disagrees with its schedule", problem)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@schemathesis.check
def fanfare_tiers_disjoint(ctx: Any, response: Any, case: Any) -> bool | None:
    """The tiers of a loyalty group never overlap (half-open ranges)."""
    if _family(case) is None or "loyalty-tiers" not in case.path or not 200 <= response.status_code < 300:
        return None
    body = _json(response)
    audiences = body.get("audiences") if isinstance(body, Mapping) else None
    if not isinstance(audiences, list):
        return None
    tiers: list[tuple[str, float, float | None]] = []
    for audience in audiences:
        metadata = audience.get("metadata") if isinstance(audience, Mapping) else None
        bounds = metadata.get("tierBoundaries") if isinstance(metadata, Mapping) else None
        if not isinstance(bounds, Mapping) or _number(bounds.get("min")) is None:
            continue
        tiers.append(
            (str(audience.get("name")), _number(bounds.get("min")) or 0.0, _number(bounds.get("max")))
        )
    problems = rules.tier_overlaps(tiers)
    if problems:
        raise _fail(case, "Loyalty tiers overlap", "; ".join(problems))
    return None


@schemathesis.check
def fanfare_archived_hidden(ctx: Any, response: Any, case: Any) -> bool | None:
    """Lists never show archived (deleted) entities."""
    if _family(case) is None or case.method != "GET" or response.status_code != 200 or case.path_parameters:
        return None
    body = _json(response)
    items = body.get("data") if isinstance(body, Mapping) else body
    if not isinstance(items, list):
        return None
    archived = [i.get("id") for i in items if isinstance(i, Mapping) and i.get("archived") is True]
    if archived:
        raise _fail(case, "List shows deleted entities", f"archived entities listed: {archived[:3]}")
    return None


@schemathesis.check
def fanfare_no_secret_echo(ctx: Any, response: Any, case: Any) -> bool | None:
    """The secret key sent never comes back in a response (body or headers)."""
    if _family(case) is None:
        return None
    request_headers = getattr(response.request, "headers", {}) or {}
    authorization = request_headers.get("Authorization") or request_headers.get("authorization") or ""
    token = authorization.removeprefix("Bearer ").strip()
    if len(token) < 12:
        return None
    haystack = response.content or b""
    headers = " ".join(f"{k}: {', '.join(v)}" for k, v in (response.headers or {}).items())
    if token.encode() in haystack or token in headers:
        raise _fail(
            case,
            "Secret key echoed in a response",
            f"{case.method} {case.formatted_path} returned the full secret key it was sent",
        )
    return None


CHECK_FUNCTIONS: tuple[tuple[str, Any], ...] = tuple(
    (check.__name__, check)
    for check in (
        fanfare_error_envelope,
        fanfare_type_spelling,
        fanfare_page_size,
        fanfare_search_filters,
        fanfare_resource_identity,
        fanfare_experience_status,
        fanfare_tiers_disjoint,
        fanfare_archived_hidden,
        fanfare_no_secret_echo,
    )
)
CHECK_NAMES = tuple(name for name, _ in CHECK_FUNCTIONS)

"""Member paging scenarios: a full walk, the page-size maximum, and search."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import rules
from contracts.scenarios.audiences import existing_audience
from contracts.scenarios.base import ScenarioContext, ScenarioSkip, scenario

EVERYONE = [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [0]}]


def _subject(ctx: ScenarioContext) -> str:
    """The audience a members scenario reads: everyone (made by this run), or an existing one (read-only)."""
    if ctx.read_only:
        return str(existing_audience(ctx, max_count=ctx.options.walk_cap)["id"])
    cached = ctx._cache.get("everyone")
    if cached is None:
        audience = ctx.create_audience("dynamic", "everyone", [dict(r) for r in EVERYONE])
        ctx.wait_materialized(audience["id"])
        cached = ctx._cache["everyone"] = audience["id"]
    return str(cached)


def _count(ctx: ScenarioContext, audience_id: str) -> int:
    response = ctx.client.get(ctx.fam.path(f"/audiences/{audience_id}/count"))
    ctx.expect_status(response, 200, "Could not read the count")
    value = ctx.json(response).get("count")
    ctx.expect(isinstance(value, int | float), "Count is not a number", repr(value))
    return int(value)


@scenario("members_walk_matches_count", writes=False)
def members_walk(ctx: ScenarioContext) -> None:
    """Walking every page of members sees each member once, and as many as /count says."""
    fam = ctx.fam
    if not ctx.read_only and ctx.has_operation("post", fam.path("/audiences/{audienceId}/members")):
        # A static list of known consumers, walked in small pages: the exact set is known.
        ids = ctx.consumer_ids(57)
        audience = ctx.create_audience("static", "walk")
        response = ctx.client.post(
            fam.path(f"/audiences/{audience['id']}/members"), json_body={"consumerIds": ids}
        )
        ctx.expect_status(response, 200, "Could not add members")
        added = ctx.json(response).get("addedCount")
        ctx.expect(
            added == len(ids), "addedCount is not the number of new members", f"{added!r} for {len(ids)} ids"
        )
        members = ctx.walk_members(fam.path(f"/audiences/{audience['id']}/members"), first=10)
        seen = [str(m.get("id")) for m in members]
        repeated = rules.duplicates(seen)
        ctx.expect(not repeated, "Paging returns a member twice", f"repeated: {repeated[:5]}")
        ctx.expect(
            set(seen) == set(ids),
            "Paging loses or invents members",
            f"added {len(ids)}, walked {len(seen)}; missing {sorted(set(ids) - set(seen))[:3]}, "
            f"unexpected {sorted(set(seen) - set(ids))[:3]}",
        )
        count = _count(ctx, audience["id"])
        ctx.expect(
            count == len(ids), "Count disagrees with the members", f"/count says {count}, {len(ids)} members"
        )
    audience_id = _subject(ctx)
    count = _count(ctx, audience_id)
    if count > ctx.options.walk_cap:
        raise ScenarioSkip(f"{count} members is more than --walk-cap {ctx.options.walk_cap}")
    members = ctx.walk_members(fam.path(f"/audiences/{audience_id}/members"), first=37)
    seen = [str(m.get("id")) for m in members]
    repeated = rules.duplicates(seen)
    ctx.expect(not repeated, "Paging returns a member twice", f"repeated: {repeated[:5]}")
    ctx.expect(
        len(seen) == count,
        "Count disagrees with the members",
        f"/count says {count}, walking the pages gave {len(seen)} members",
    )


@scenario("members_first_maximum", writes=False)
def first_maximum(ctx: ScenarioContext) -> None:
    """`first` is at most 100: first=101 (and 0) is a 400 in the family's envelope, first=100 works."""
    fam = ctx.fam
    audience_id = _subject(ctx)
    path = fam.path(f"/audiences/{audience_id}/members")
    for bad in (101, 0):
        response = ctx.client.get(path, params={"first": bad})
        ctx.expect_status(response, 400, f"first={bad} accepted")
        problems = rules.error_envelope_problems(fam, 400, ctx.json(response))
        ctx.expect(not problems, f"Wrong error envelope for the {fam.dialect} family", "; ".join(problems))
    response = ctx.client.get(path, params={"first": 100})
    ctx.expect_status(response, 200, "first=100 refused")
    data = ctx.json(response).get("data")
    ctx.expect(
        isinstance(data, list) and len(data) <= 100,
        "first=100 returned more than 100 members",
        f"{len(data) if isinstance(data, list) else data!r}",
    )
    response = ctx.client.get(path)
    data = ctx.json(response).get("data")
    ctx.expect(
        isinstance(data, list) and len(data) <= 20,
        "Default page is larger than 20",
        f"{len(data) if isinstance(data, list) else data!r} members without first",
    )


def _term(member: Mapping[str, Any]) -> str | None:
    email = member.get("email")
    if isinstance(email, str) and "@" in email and len(email.split("@")[0]) >= 3:
        return email.split("@")[0][:4]
    name = member.get("fullName")
    if isinstance(name, str) and len(name) >= 3:
        return name.split()[0][:4]
    return None


@scenario("members_search_filters", writes=False)
def search_filters(ctx: ScenarioContext) -> None:
    """Every member a search returns matches the term in email, phone or name, and a known match is found."""
    fam = ctx.fam
    audience_id = _subject(ctx)
    path = fam.path(f"/audiences/{audience_id}/members")
    response = ctx.client.get(path, params={"first": 50})
    ctx.expect_status(response, 200, "Could not read members")
    sample = [m for m in ctx.json(response).get("data") or [] if isinstance(m, Mapping)]
    target = next(((m, t) for m in sample if (t := _term(m))), None)
    if target is None:
        raise ScenarioSkip("no member with an email or name to search for")
    member, term = target
    found = ctx.walk_members(path, first=100, params={"search": term})
    misses = [m.get("id") for m in found if not rules.matches_search(m, term)]
    ctx.expect(
        not misses,
        "Search returned members that do not match",
        f"search={term!r}: {len(misses)} of {len(found)} match in neither email, phone nor name",
    )
    ctx.expect(
        any(m.get("id") == member.get("id") for m in found),
        "Search misses a matching member",
        f"search={term!r} did not return member {member.get('id')!r} ({member.get('email')!r})",
    )
    upper = ctx.walk_members(path, first=100, params={"search": term.upper()})
    ctx.expect(
        {m.get("id") for m in upper} == {m.get("id") for m in found},
        "Search is case-sensitive",
        f"{term!r} and {term.upper()!r} return different members",
    )
    none = ctx.walk_members(path, first=100, params={"search": "zq-no-such-member-xj"})
    ctx.expect(not none, "Search for nonsense returns members", f"{len(none)} members")
    response = ctx.client.get(path, params={"search": "a"})
    ctx.expect_status(response, 400, "A one-character search is accepted (at least 2 are required)")

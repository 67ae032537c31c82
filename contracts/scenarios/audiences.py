"""Audience lifecycle scenarios: round trip, update and version, delete, includes, type spelling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import rules
from contracts.families import API, V1
from contracts.scenarios.base import ScenarioContext, ScenarioSkip, scenario

DYNAMIC_RULE = {"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [1]}


def _audience(ctx: ScenarioContext, audience_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    response = ctx.client.get(ctx.fam.path(f"/audiences/{audience_id}"), params=params)
    ctx.expect_status(response, 200, "Could not read the audience back")
    body = ctx.json(response)
    ctx.expect(isinstance(body, Mapping), "Audience is not an object")
    return dict(body)


def _listed_ids(ctx: ScenarioContext, family_path: str) -> set[str]:
    """Ids in an audience list: a bare array (guide) or pages of {data, pageInfo} (reference)."""
    response = ctx.client.get(family_path)
    ctx.expect_status(response, 200, "Could not list audiences")
    body = ctx.json(response)
    if isinstance(body, list):
        return {str(item.get("id")) for item in body if isinstance(item, Mapping)}
    items = ctx.walk_members(family_path, first=100)
    return {str(item.get("id")) for item in items}


@scenario("audience_create_get_round_trip")
def create_get_round_trip(ctx: ScenarioContext) -> None:
    """What a create stores is what a get returns (name, type, description, metadata), under the same id."""
    ctx.require("post", ctx.fam.path("/audiences"))
    metadata = {"suite": "fanfare-contract", "n": 3}
    created = ctx.create_audience("static", "roundtrip", metadata=metadata)
    fetched = _audience(ctx, created["id"])
    for field, sent in (("name", created["name"]), ("type", ctx.fam.static_type), ("metadata", metadata)):
        ctx.expect(
            fetched.get(field) == sent,
            "Get does not return what create stored",
            f"{field}: created with {sent!r}, read back {fetched.get(field)!r}",
        )
    ctx.expect(fetched.get("id") == created["id"], "Get returns another audience", f"{fetched.get('id')!r}")
    ctx.expect(
        fetched.get("description") == "fanfare-contract test data",
        "Get does not return what create stored",
        f"description read back as {fetched.get('description')!r}",
    )


@scenario("audience_update_bumps_version")
def update_bumps_version(ctx: ScenarioContext) -> None:
    """An update persists and moves updatedAt; a rule change bumps version (on /api: in /status)."""
    fam = ctx.fam
    ctx.require("put", fam.path("/audiences/{audienceId}"))
    ctx.require("post", fam.path("/audiences/{audienceId}/rules"))
    created = ctx.create_audience("dynamic", "version", [dict(DYNAMIC_RULE)])
    audience_id = created["id"]
    before = _audience(ctx, audience_id)
    status_before = ctx.json(ctx.client.get(fam.path(f"/audiences/{audience_id}/status")))

    new_name = ctx.name("version-renamed")
    response = ctx.client.put(fam.path(f"/audiences/{audience_id}"), json_body={"name": new_name})
    ctx.expect_status(response, 200, "Could not update the audience")
    after_put = _audience(ctx, audience_id)
    ctx.expect(
        after_put.get("name") == new_name, "Update was not stored", f"name is {after_put.get('name')!r}"
    )
    _updated_at_moved(ctx, before, after_put)

    rule = {"field": "totalOrders", "operator": "LESS_THAN", "values": [1000]}
    if fam is V1:
        response = ctx.client.post(fam.path(f"/audiences/{audience_id}/rules"), json_body=[rule])
    else:
        response = ctx.client.post(
            fam.path(f"/audiences/{audience_id}/rules"), json_body={**rule, "audienceId": audience_id}
        )
    ctx.expect_status(response, fam.create_status, "Could not add a rule")
    status_after = ctx.json(ctx.client.get(fam.path(f"/audiences/{audience_id}/status")))
    v0 = status_before.get("version") if isinstance(status_before, Mapping) else None
    v1 = status_after.get("version") if isinstance(status_after, Mapping) else None
    ctx.expect(
        isinstance(v0, int | float) and isinstance(v1, int | float) and v1 == v0 + 1,
        "Version not bumped by a rule change",
        f"/status version was {v0!r} before adding a rule and {v1!r} after (expected {v0!r} + 1)",
    )
    if fam is V1:
        after_rule = _audience(ctx, audience_id)
        ctx.expect(
            after_rule.get("version") == v1,
            "Audience version disagrees with /status",
            f"the audience says version {after_rule.get('version')!r}, /status says {v1!r}",
        )
        ctx.expect(
            before.get("version") == v0,
            "Audience version disagrees with /status",
            f"before the change the audience said {before.get('version')!r}, /status {v0!r}",
        )


def _updated_at_moved(ctx: ScenarioContext, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    t0, t1 = rules.parse_time(before.get("updatedAt")), rules.parse_time(after.get("updatedAt"))
    if t0 is None or t1 is None:
        return  # the schema checks judge a missing or malformed updatedAt
    ctx.expect(
        t1 >= t0, "updatedAt went backwards", f"{before.get('updatedAt')} then {after.get('updatedAt')}"
    )
    if t1 == t0:
        # A frozen (virtual) clock legitimately keeps it; a clock that moved must move it too.
        probe = ctx.create_audience("static", "clock-probe")
        now = rules.parse_time(probe.get("createdAt"))
        ctx.expect(
            now is None or now <= t0,
            "updatedAt not bumped by an update",
            f"updatedAt stayed {before.get('updatedAt')} though the server's clock reads "
            f"{probe.get('createdAt')}",
        )


@scenario("audience_delete_archives")
def delete_archives(ctx: ScenarioContext) -> None:
    """A delete archives the audience: answered with archived=true, then 404 and gone from the list."""
    fam = ctx.fam
    ctx.require("delete", fam.path("/audiences/{audienceId}"))
    created = ctx.create_audience("static", "delete")
    response = ctx.client.delete(fam.path(f"/audiences/{created['id']}"))
    ctx.expect_status(response, 200, "Could not delete the audience")
    ctx.client.guard.ledger.mark_deleted("audience", created["id"])
    body = ctx.json(response)
    if isinstance(body, Mapping) and "archived" in body:
        ctx.expect(
            body["archived"] is True, "Deleted audience not archived", f"archived={body['archived']!r}"
        )
    response = ctx.client.get(fam.path(f"/audiences/{created['id']}"))
    ctx.expect_status(response, 404, "Deleted audience still readable")
    ctx.expect(created["id"] not in _listed_ids(ctx, fam.path("/audiences")), "Deleted audience still listed")
    response = ctx.client.delete(fam.path(f"/audiences/{created['id']}"))
    ctx.expect_status(response, 404, "Deleting twice is not a 404")


@scenario("audience_include_relations", families=("v1",))
def include_relations(ctx: ScenarioContext) -> None:
    """`include` adds exactly the relations it names (guide family; a get defaults to rules,imports)."""
    fam = ctx.fam
    created = ctx.create_audience("dynamic", "include", [dict(DYNAMIC_RULE)])
    audience_id = created["id"]
    relations = ("rules", "imports", "primarySyncSource")
    for include, present in (
        ("rules", {"rules"}),
        ("imports", {"imports"}),
        ("rules,imports,primarySyncSource", set(relations)),
        (None, {"rules", "imports"}),
    ):
        body = _audience(ctx, audience_id, {"include": include} if include is not None else None)
        shown = {name for name in relations if name in body}
        ctx.expect(
            shown == present,
            "include does not add the relations it names",
            f"include={include!r} returned relations {sorted(shown)}, expected {sorted(present)}",
        )
    rules_ = _audience(ctx, audience_id, {"include": "rules"}).get("rules")
    ctx.expect(
        isinstance(rules_, list) and len(rules_) == 1,
        "Included rules are not the audience's rules",
        f"{rules_!r}",
    )
    response = ctx.client.get(fam.path("/audiences"), params={"include": "rules"})
    ctx.expect_status(response, 200, "Could not list audiences")
    listed = [a for a in ctx.json(response) if isinstance(a, Mapping) and a.get("id") == audience_id]
    ctx.expect(bool(listed) and "rules" in listed[0], "List ignores include=rules")
    response = ctx.client.get(fam.path("/audiences"))
    listed = [a for a in ctx.json(response) if isinstance(a, Mapping) and a.get("id") == audience_id]
    ctx.expect(bool(listed) and "rules" not in listed[0], "List shows relations nobody asked for")


@scenario("audience_type_spelling")
def type_spelling(ctx: ScenarioContext) -> None:
    """Each family accepts only its own static-list spelling (STATIC on /api/v1, STATIC_LIST on /api)."""
    fam = ctx.fam
    body = {"name": ctx.name("spelling"), "type": fam.other_static_type}
    response = ctx.client.post(fam.path("/audiences"), json_body=body)
    ctx.expect_status(response, 400, f"{fam.other_static_type} accepted on {fam.prefix}")
    problems = rules.error_envelope_problems(fam, 400, ctx.json(response))
    ctx.expect(not problems, f"Wrong error envelope for the {fam.dialect} family", "; ".join(problems))
    created = ctx.create_audience("static", "spelling")
    ctx.expect(created.get("type") == fam.static_type, "Static type misspelled", f"{created.get('type')!r}")


@scenario("cross_family_visibility", cross_family=True)
def cross_family_visibility(ctx: ScenarioContext) -> None:
    """One world: an audience made on one family is read on the other with the same id, in its dialect."""
    for made_on, read_on in ((V1, API), (API, V1)):
        ctx.require("post", made_on.path("/audiences"))
        created = ctx.create_audience("static", f"cross-{made_on.name}", family=made_on)
        response = ctx.client.get(read_on.path(f"/audiences/{created['id']}"))
        ctx.expect_status(
            response, 200, f"Audience made on {made_on.prefix} is not visible on {read_on.prefix}"
        )
        body = ctx.json(response)
        ctx.expect(
            body.get("id") == created["id"] and body.get("name") == created["name"],
            "The other family shows another audience",
            f"made {created['id']!r} {created['name']!r}, read {body.get('id')!r} {body.get('name')!r}",
        )
        ctx.expect(
            body.get("type") == read_on.static_type,
            "Type not rendered in the reading family's dialect",
            f"made as {made_on.static_type} on {made_on.prefix}, "
            f"read as {body.get('type')!r} on {read_on.prefix} "
            f"(expected {read_on.static_type})",
        )
    # A delete through one family hides it in both.
    created = ctx.create_audience("static", "cross-delete", family=V1)
    response = ctx.client.delete(API.path(f"/audiences/{created['id']}"))
    ctx.expect_status(response, 200, "Could not delete through the other family")
    ctx.client.guard.ledger.mark_deleted("audience", created["id"])
    response = ctx.client.get(V1.path(f"/audiences/{created['id']}"))
    ctx.expect_status(response, 404, "Deleted on /api, still readable on /api/v1")


def existing_audience(ctx: ScenarioContext, *, max_count: int | None = None) -> dict[str, Any]:
    """A read-only run's subject: the first existing audience (with at most max_count members)."""
    response = ctx.client.get(ctx.fam.path("/audiences"), params=None if ctx.fam is V1 else {"first": 50})
    ctx.expect_status(response, 200, "Could not list audiences")
    body = ctx.json(response)
    items = (
        body if isinstance(body, list) else (body.get("data") if isinstance(body, Mapping) else None) or []
    )
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            continue
        if max_count is None:
            return dict(item)
        count = ctx.client.get(ctx.fam.path(f"/audiences/{item['id']}/count"))
        if count.status_code == 200:
            value = ctx.json(count).get("count")
            if isinstance(value, int | float) and 0 < value <= max_count:
                return dict(item)
    raise ScenarioSkip("no existing audience fits (read-only runs work on existing data)")

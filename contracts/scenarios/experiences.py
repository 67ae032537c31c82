"""Experience scenarios (guide family): status from the schedule, duplicate defaults, active deletes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from contracts import rules
from contracts.families import API, V1
from contracts.scenarios.base import ScenarioContext, scenario


def _create(ctx: ScenarioContext, label: str, **fields: Any) -> dict[str, Any]:
    response = ctx.client.post(V1.path("/experiences"), json_body={"name": ctx.name(label), **fields})
    ctx.expect_status(response, V1.create_status, "Could not create an experience")
    body = ctx.json(response)
    ctx.expect(isinstance(body, Mapping) and isinstance(body.get("id"), str), "Created experience has no id")
    return dict(body)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _server_now(ctx: ScenarioContext) -> tuple[dict[str, Any], datetime]:
    """A draft experience and the server's clock at its creation (a mock's virtual clock need not be ours)."""
    draft = _create(ctx, "draft")
    now = rules.parse_time(draft.get("createdAt"))
    ctx.expect(now is not None, "Experience has no createdAt", repr(draft.get("createdAt")))
    assert now is not None
    return draft, now


@scenario("experience_status_follows_schedule", families=("v1",))
def status_follows_schedule(ctx: ScenarioContext) -> None:
    """No openAt is draft; openAt past is active; openAt future is scheduled; closeAt past is completed."""
    ctx.require("post", V1.path("/experiences"))
    draft, now = _server_now(ctx)
    ctx.expect(
        draft.get("status") == "draft",
        "Experience without a schedule is not a draft",
        f"status {draft.get('status')!r}",
    )
    cases = (
        ("active", {"openAt": _iso(now - timedelta(days=1))}),
        ("scheduled", {"openAt": _iso(now + timedelta(days=30))}),
        ("completed", {"openAt": _iso(now - timedelta(days=2)), "closeAt": _iso(now - timedelta(days=1))}),
    )
    for expected, schedule in cases:
        created = _create(ctx, expected, **schedule)
        ctx.expect(
            created.get("status") == expected,
            "Experience status disagrees with its schedule",
            f"created with {schedule} at {_iso(now)}: status {created.get('status')!r}, "
            f"expected {expected!r}",
        )
        response = ctx.client.get(V1.path(f"/experiences/{created['id']}"))
        ctx.expect_status(response, 200, "Could not read the experience back")
        ctx.expect(
            ctx.json(response).get("status") == expected,
            "Experience status changes on read",
            f"read back as {ctx.json(response).get('status')!r}, expected {expected!r}",
        )


@scenario("experience_duplicate_defaults", families=("v1",))
def duplicate_defaults(ctx: ScenarioContext) -> None:
    """Duplicate makes a new experience named `Copy of <name>` unless a name is given."""
    ctx.require("post", V1.path("/experiences/{id}/duplicate"))
    original = _create(ctx, "original", timeZone="Europe/Paris")
    response = ctx.client.post(V1.path(f"/experiences/{original['id']}/duplicate"), json_body={})
    ctx.expect_status(response, V1.create_status, "Could not duplicate the experience")
    copy = ctx.json(response)
    ctx.expect(copy.get("id") != original["id"], "Duplicate returns the original", repr(copy.get("id")))
    ctx.expect(
        copy.get("name") == f"Copy of {original['name']}",
        "Duplicate is not named 'Copy of <name>'",
        f"named {copy.get('name')!r}, expected {'Copy of ' + original['name']!r}",
    )
    ctx.expect(
        copy.get("timeZone") == "Europe/Paris",
        "Duplicate does not copy the experience",
        f"timeZone {copy.get('timeZone')!r}",
    )
    ctx.expect(copy.get("slug") != original.get("slug"), "Duplicate reuses the slug", repr(copy.get("slug")))
    wanted = ctx.name("named-copy")
    response = ctx.client.post(
        V1.path(f"/experiences/{original['id']}/duplicate"), json_body={"name": wanted}
    )
    ctx.expect_status(response, V1.create_status, "Could not duplicate the experience with a name")
    ctx.expect(
        ctx.json(response).get("name") == wanted,
        "Duplicate ignores the given name",
        f"named {ctx.json(response).get('name')!r}, expected {wanted!r}",
    )


@scenario("experience_delete_active_is_409", families=("v1",))
def delete_active(ctx: ScenarioContext) -> None:
    """Deleting an active experience is a 409 (through either family); it stays readable."""
    ctx.require("delete", V1.path("/experiences/{id}"))
    _, now = _server_now(ctx)
    active = _create(ctx, "active", openAt=_iso(now - timedelta(days=1)))
    ctx.expect(
        active.get("status") == "active",
        "Experience with openAt in the past is not active",
        f"status {active.get('status')!r}",
    )
    response = ctx.client.delete(V1.path(f"/experiences/{active['id']}"))
    ctx.expect_status(response, 409, "Active experience deleted")
    problems = rules.error_envelope_problems(V1, 409, ctx.json(response))
    ctx.expect(not problems, "Wrong error envelope for the guide family", "; ".join(problems))
    if API.name in {f.name for f in ctx.options.families} and ctx.has_operation(
        "delete", API.path("/experiences/{id}")
    ):
        response = ctx.client.delete(API.path(f"/experiences/{active['id']}"))
        ctx.expect_status(response, 409, "Active experience deleted through /api")
    response = ctx.client.get(V1.path(f"/experiences/{active['id']}"))
    ctx.expect_status(response, 200, "Refused delete still removed the experience")

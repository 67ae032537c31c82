"""Audience groups (a loyalty-tier group): members filtered by `audienceId`, and the group delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.scenarios.base import ScenarioContext, scenario
from contracts.scenarios.tiers import TIERS


def _tier_group(ctx: ScenarioContext) -> tuple[str, list[dict[str, Any]]]:
    fam = ctx.fam
    ctx.require("post", fam.path("/audiences/loyalty-tiers"))
    body = {"groupName": ctx.name("group"), "attribute": "totalOrders", "tiers": TIERS}
    response = ctx.client.post(fam.path("/audiences/loyalty-tiers"), json_body=body)
    ctx.expect_status(response, fam.create_status, "Could not create loyalty tiers")
    group = ctx.json(response)
    audiences = [dict(a) for a in group.get("audiences") or [] if isinstance(a, Mapping)]
    ctx.expect(bool(audiences) and isinstance(group.get("tierGroup"), str), "No tier group was created")
    return str(group["tierGroup"]), audiences


@scenario("group_members_by_audience")
def group_members_by_audience(ctx: ScenarioContext) -> None:
    """Group members filtered by `audienceId` are exactly that audience's members; an unknown one is 404."""
    fam = ctx.fam
    ctx.require("get", fam.path("/audiences/groups/{groupId}/members"))
    group_id, audiences = _tier_group(ctx)
    for audience in audiences:
        ctx.wait_materialized(str(audience["id"]))
    path = fam.path(f"/audiences/groups/{group_id}/members")
    everyone = {str(m.get("id")) for m in ctx.walk_members(path, first=100)}
    union: set[str] = set()
    for audience in audiences:
        own = {str(m.get("id")) for m in ctx.walk_members(fam.path(f"/audiences/{audience['id']}/members"))}
        filtered = {
            str(m.get("id")) for m in ctx.walk_members(path, first=100, params={"audienceId": audience["id"]})
        }
        ctx.expect(
            filtered == own,
            "Group members filtered by audienceId are not that audience's members",
            f"{audience.get('name')}: the filter gave {len(filtered)}, the audience has {len(own)} "
            f"(e.g. {sorted(filtered ^ own)[:3]})",
        )
        union |= own
    ctx.expect(
        everyone == union,
        "The group's members are not its audiences' members",
        f"{len(everyone)} in the group, {len(union)} in its audiences together",
    )
    response = ctx.client.get(path, params={"audienceId": f"{ctx.options.prefix}no-such-audience"})
    ctx.expect_status(response, 404, "An unknown audienceId filter is not a 404")


@scenario("group_delete_archives_every_audience")
def group_delete_archives(ctx: ScenarioContext) -> None:
    """Deleting a group answers its audiences archived; the group and each of them then read as 404."""
    fam = ctx.fam
    ctx.require("delete", fam.path("/audiences/groups/{groupId}"))
    group_id, audiences = _tier_group(ctx)
    response = ctx.client.delete(fam.path(f"/audiences/groups/{group_id}"))
    ctx.expect_status(response, 200, "Could not delete the group")
    answered = ctx.json(response)
    ctx.expect(isinstance(answered, list), "A group delete does not answer an array of audiences")
    ids = {str(a.get("id")) for a in answered if isinstance(a, Mapping)}
    ctx.expect(
        ids == {str(a["id"]) for a in audiences},
        "A group delete does not answer the group's audiences",
        f"answered {sorted(ids)[:3]}",
    )
    if fam.dialect == "reference":
        unarchived = [
            a.get("id") for a in answered if isinstance(a, Mapping) and a.get("archived") is not True
        ]
        ctx.expect(
            not unarchived, "A group delete answers audiences that are not archived", f"{unarchived[:3]}"
        )
    ctx.expect_status(
        ctx.client.get(fam.path(f"/audiences/groups/{group_id}")), 404, "A deleted group is still served"
    )
    for audience in audiences:
        ctx.expect_status(
            ctx.client.get(fam.path(f"/audiences/{audience['id']}")),
            404,
            "An audience of a deleted group is still served",
        )

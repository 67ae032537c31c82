"""What a write answers is what the next read of the same entity returns: audiences, tiers, experiences.

The same rule (`follow.disagreements`) that `fanfare_write_then_read` holds every scenario's traffic to,
applied here on purpose to each kind of write: create, update, a rule change, a tier group, an experience.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from contracts.follow import disagreements
from contracts.scenarios.base import ScenarioContext, scenario
from contracts.scenarios.tiers import TIERS

RULE = {"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [2]}


def _agree(ctx: ScenarioContext, what: str, written: Any, path: str) -> Mapping[str, Any]:
    response = ctx.client.get(path)
    ctx.expect_status(response, 200, f"Could not read back {what}")
    read = ctx.json(response)
    ctx.expect(isinstance(written, Mapping) and isinstance(read, Mapping), f"{what}: not objects")
    found = disagreements(written, read)
    ctx.expect(
        not found, f"The read after {what} disagrees with what the write answered", "; ".join(found[:5])
    )
    return dict(read)


def _body(ctx: ScenarioContext, response: httpx.Response, status: int, what: str) -> Any:
    ctx.expect_status(response, status, f"Could not {what}")
    return ctx.json(response)


@scenario("writes_read_back")
def writes_read_back(ctx: ScenarioContext) -> None:
    """Create, update, rules, tiers and experiences: each write's answer is what the next read returns."""
    fam = ctx.fam
    created = ctx.create_audience("dynamic", "read-back", [dict(RULE)], metadata={"k": "v"})
    path = fam.path(f"/audiences/{created['id']}")
    _agree(ctx, "an audience create", created, path)
    update = {"name": ctx.name("read-back-renamed"), "metadata": {"k": "w"}}
    updated = _body(ctx, ctx.client.put(path, json_body=update), 200, "update the audience")
    _agree(ctx, "an audience update", updated, path)
    rules_body: Any = (
        [dict(RULE, values=[4])]
        if fam.dialect == "guide"
        else {"audienceId": created["id"], **RULE, "values": [4]}
    )
    status = 201 if fam.dialect == "guide" else 200
    _body(ctx, ctx.client.post(f"{path}/rules", json_body=rules_body), status, "add a rule")
    if fam.dialect == "reference":
        listed = _body(ctx, ctx.client.get(f"{path}/rules"), 200, "list the rules")
        ctx.expect(
            any(isinstance(r, Mapping) and r.get("values") == [4] for r in listed),
            "A rule write is not what the next read returns",
            repr(listed)[:300],
        )
    else:
        read = _body(ctx, ctx.client.get(path, params={"include": "rules"}), 200, "read the rules")
        values = [r.get("values") for r in read.get("rules") or [] if isinstance(r, Mapping)]
        ctx.expect([4] in values, "A rule write is not what the next read returns", repr(values))
    group = _body(
        ctx,
        ctx.client.post(
            fam.path("/audiences/loyalty-tiers"),
            json_body={"groupName": ctx.name("read-back-tiers"), "attribute": "totalOrders", "tiers": TIERS},
        ),
        fam.create_status,
        "create loyalty tiers",
    )
    for tier in group.get("audiences") or []:
        _agree(ctx, "a tier group create", tier, fam.path(f"/audiences/{tier['id']}"))
    experience = _body(
        ctx,
        ctx.client.post(fam.path("/experiences"), json_body={"name": ctx.name("read-back")}),
        fam.create_status,
        "create an experience",
    )
    epath = fam.path(f"/experiences/{experience['id']}")
    _agree(ctx, "an experience create", experience, epath)
    changed = _body(
        ctx, ctx.client.put(epath, json_body={"name": ctx.name("read-back-2")}), 200, "update the experience"
    )
    _agree(ctx, "an experience update", changed, epath)

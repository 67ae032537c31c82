"""Rule CRUD on the reference family: create, list, read, update, replace all, delete (facts 5.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.scenarios.base import ScenarioContext, scenario

RULE = {"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [1]}


def _rules(ctx: ScenarioContext, audience_id: str) -> list[Mapping[str, Any]]:
    response = ctx.client.get(ctx.fam.path(f"/audiences/{audience_id}/rules"))
    ctx.expect_status(response, 200, "Could not list the rules")
    body = ctx.json(response)
    ctx.expect(isinstance(body, list), "The rules list is not an array")
    return [r for r in body if isinstance(r, Mapping)]


@scenario("rules_crud_reference", families=("api",))
def rules_crud(ctx: ScenarioContext) -> None:
    """Every rule write on /api is what the next read returns, and a deleted rule reads as 404."""
    fam = ctx.fam
    ctx.require("put", fam.path("/audiences/{audienceId}/rules/{ruleId}"))
    audience = ctx.create_audience("dynamic", "rules", [dict(RULE)])
    aid = str(audience["id"])
    response = ctx.client.post(
        fam.path(f"/audiences/{aid}/rules"),
        json_body={"audienceId": aid, "field": "totalOrderValue", "operator": "GREATER_THAN", "values": [10]},
    )
    ctx.expect_status(response, 200, "Could not add a rule")
    rule = ctx.json(response)
    rule_id = str(rule.get("id"))
    ctx.expect(
        rule.get("audienceId") == aid, "A created rule names another audience", repr(rule.get("audienceId"))
    )
    ctx.expect(rule_id in {str(r.get("id")) for r in _rules(ctx, aid)}, "A created rule is not listed")
    path = fam.path(f"/audiences/{aid}/rules/{rule_id}")
    read = ctx.client.get(path)
    ctx.expect_status(read, 200, "Could not read the rule")
    ctx.expect(ctx.json(read).get("values") == [10], "A read rule is not the created one", read.text[:200])
    updated = ctx.client.put(path, json_body={"values": [25]})
    ctx.expect_status(updated, 200, "Could not update the rule")
    ctx.expect(ctx.json(updated).get("values") == [25], "An update does not answer the new values")
    again = ctx.json(ctx.client.get(path))
    ctx.expect(again.get("values") == [25], "A rule update is not what the next read returns", repr(again))
    replacement = [{"audienceId": aid, "field": "totalOrders", "operator": "LESS_THAN", "values": [3]}]
    replaced = ctx.client.put(fam.path(f"/audiences/{aid}/rules"), json_body={"rules": replacement})
    ctx.expect_status(replaced, 200, "Could not replace the rules")
    listed = _rules(ctx, aid)
    ctx.expect(
        [(r.get("field"), r.get("operator"), r.get("values")) for r in listed]
        == [("totalOrders", "LESS_THAN", [3])],
        "Replacing all rules does not leave exactly the new ones",
        repr([(r.get("field"), r.get("values")) for r in listed]),
    )
    last = str(listed[0].get("id"))
    deleted = ctx.client.delete(fam.path(f"/audiences/{aid}/rules/{last}"))
    ctx.expect_status(deleted, 200, "Could not delete the rule")
    ctx.expect_status(
        ctx.client.get(fam.path(f"/audiences/{aid}/rules/{last}")), 404, "A deleted rule is still served"
    )

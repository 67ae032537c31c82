"""Rule handlers: the guide's bulk add, and the reference's list, add one, replace all, and one-rule CRUD."""

from __future__ import annotations

from collections.abc import Sequence

from mock_server.domain.audiences import UNSET, RuleInput, RulePatch
from mock_server.domain.kernel import Invalid, Issue
from mock_server.domain.world import Organization
from mock_server.handlers.tenancy import organization
from mock_server.views.dialect import Dialect
from mock_server.views.wire import given
from mock_server.web.calls import Call, Reply
from mock_server.web.slices import sliced


def _check_body_audience(call: Call) -> None:
    """The reference repeats `audienceId` in the body; one that names another audience is refused."""
    named = (call.body or {}).get("audienceId")
    if named is not None and named != call.path_params["audienceId"]:
        raise Invalid(
            "audienceId does not match the path",
            (Issue("audienceId", "must equal the audienceId in the path"),),
        )


async def prepared(call: Call, inputs: Sequence[RuleInput], *, replace: bool) -> Organization:
    """The tenant, the rules its audience is about to hold evaluated ahead a slice at a time."""
    steps = organization(call).ahead.rules(call.path_params["audienceId"], inputs, replace=replace)
    await sliced(steps)
    return organization(call)  # (as it is now: a reset may have come in between)


async def add_many(call: Call, d: Dialect) -> Reply:
    inputs = d.rule_inputs(call.body)
    org = await prepared(call, inputs, replace=False)
    rules = org.audiences.add_rules(call.path_params["audienceId"], inputs, prefix="")
    return Reply(d.created, [d.rule(rule, org) for rule in rules])


async def add_one(call: Call, d: Dialect) -> Reply:
    _check_body_audience(call)
    inputs = d.rule_inputs([call.body])
    org = await prepared(call, inputs, replace=False)
    (rule,) = org.audiences.add_rules(call.path_params["audienceId"], inputs, prefix="")
    return Reply(d.created, d.rule(rule, org))


async def list_all(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    return Reply(200, [d.rule(rule, org) for rule in org.audiences.rules(call.path_params["audienceId"])])


async def replace_all(call: Call, d: Dialect) -> Reply:
    for index, item in enumerate(call.body["rules"]):
        named = item.get("audienceId")
        if named is not None and named != call.path_params["audienceId"]:
            raise Invalid(
                "audienceId does not match the path",
                (Issue(f"rules.{index}.audienceId", "must equal the audienceId in the path"),),
            )
    inputs = d.rule_inputs(call.body["rules"])
    org = await prepared(call, inputs, replace=True)
    rules = org.audiences.replace_rules(call.path_params["audienceId"], inputs)
    return Reply(200, [d.rule(rule, org) for rule in rules])


async def get_one(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    return Reply(
        200, d.rule(org.audiences.get_rule(call.path_params["audienceId"], call.path_params["ruleId"]), org)
    )


async def update_one(call: Call, d: Dialect) -> Reply:
    _check_body_audience(call)
    body = call.body or {}  # optional: an empty update changes nothing
    values = given(body, "values", tuple)
    position = given(body, "position", int)
    patch = RulePatch(
        field=given(body, "field"),
        operator=given(body, "operator"),
        values=values,
        group_id=UNSET if body.get("groupId") is None else body["groupId"],
        position=UNSET if position is None else position,
    )
    org = organization(call)
    rule = org.audiences.update_rule(call.path_params["audienceId"], call.path_params["ruleId"], patch)
    return Reply(200, d.rule(rule, org))


async def delete_one(call: Call, d: Dialect) -> Reply:
    org = organization(call)
    return Reply(
        200,
        d.rule(org.audiences.delete_rule(call.path_params["audienceId"], call.path_params["ruleId"]), org),
    )

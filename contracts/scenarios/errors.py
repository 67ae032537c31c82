"""Error-envelope scenarios: a validation failure and a 404 in each family's own envelope (D7, D8)."""

from __future__ import annotations

from contracts import rules
from contracts.families import V1
from contracts.scenarios.base import ScenarioContext, scenario


@scenario("error_envelope_validation")
def validation_envelope(ctx: ScenarioContext) -> None:
    """A create without a name: 400 `Validation failed`+details (guide), `validation_error`+issues (ref.)."""
    fam = ctx.fam
    response = ctx.client.post(
        fam.path("/audiences"), json_body={"type": "DYNAMIC", "description": ctx.name("invalid")}
    )
    ctx.expect_status(response, 400, "Create without a name accepted")
    body = ctx.json(response)
    problems = rules.error_envelope_problems(fam, 400, body)
    ctx.expect(not problems, f"Wrong error envelope for the {fam.dialect} family", "; ".join(problems))
    if fam is V1:
        ctx.expect(
            body.get("error") == "Validation failed",
            "Guide validation error is not 'Validation failed'",
            repr(body.get("error")),
        )
        fields = [d.get("field") for d in body.get("details") or []]
        ctx.expect("name" in fields, "Validation details do not name the missing field", f"fields: {fields}")
    else:
        ctx.expect(
            body.get("error") == "validation_error",
            "Reference validation error is not 'validation_error'",
            repr(body.get("error")),
        )
    response = ctx.client.post(
        fam.path("/audiences"), content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    ctx.expect_status(response, 400, "Malformed JSON not refused with 400")
    problems = rules.error_envelope_problems(fam, 400, ctx.json(response))
    ctx.expect(not problems, f"Wrong error envelope for the {fam.dialect} family", "; ".join(problems))


@scenario("error_envelope_not_found", writes=False)
def not_found_envelope(ctx: ScenarioContext) -> None:
    """An unknown id is 404 `{"error": "Audience not found"}` in both families."""
    fam = ctx.fam
    for missing in (f"{ctx.options.prefix}missing", "00000000-0000-7000-8000-000000000000"):
        response = ctx.client.get(fam.path(f"/audiences/{missing}"))
        ctx.expect_status(response, 404, "Unknown audience id is not a 404")
        body = ctx.json(response)
        problems = rules.error_envelope_problems(fam, 404, body)
        ctx.expect(not problems, f"Wrong error envelope for the {fam.dialect} family", "; ".join(problems))
        ctx.expect(
            body.get("error") == "Audience not found",
            "404 does not say what is missing",
            f"error is {body.get('error')!r}, expected 'Audience not found'",
        )

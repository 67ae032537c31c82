"""Authentication and tenancy scenarios: 401s with the right words, and no reading across organizations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import rules
from contracts.scenarios.base import ScenarioContext, scenario


def _expect_401(ctx: ScenarioContext, response: object, message: str, title: str) -> None:
    ctx.expect_status(response, 401, title)  # type: ignore[arg-type]
    body = ctx.json(response)  # type: ignore[arg-type]
    ctx.expect(
        isinstance(body, Mapping) and body.get("error") == message,
        f"{title}: wrong message",
        f"error is {body.get('error') if isinstance(body, Mapping) else body!r}, expected {message!r}",
    )
    problems = rules.error_envelope_problems(ctx.fam, 401, body)
    ctx.expect(not problems, f"Wrong error envelope for the {ctx.fam.dialect} family", "; ".join(problems))


@scenario("auth_missing_or_invalid_is_401", writes=False)
def missing_or_invalid(ctx: ScenarioContext) -> None:
    """No key, a malformed header or a made-up scheme is 401 `Authentication required` (before any 404)."""
    fam = ctx.fam
    anonymous = ctx.anonymous()
    for path in (fam.path("/audiences"), fam.path(f"/audiences/{ctx.options.prefix}missing")):
        _expect_401(
            ctx, anonymous.get(path), "Authentication required", f"GET {path} without a key is not 401"
        )
        for header in ("Bearer", "Bearer not-a-key", f"Basic {ctx.options.prefix}", "sk_test_no_scheme"):
            response = anonymous.get(path, headers={"Authorization": header})
            _expect_401(
                ctx,
                response,
                "Authentication required",
                f"GET {path} with Authorization: {header!r} is not 401",
            )


@scenario("auth_publishable_key_is_401", writes=False)
def publishable_key(ctx: ScenarioContext) -> None:
    """A publishable key (pk_test_...) is 401 `Secret key required`."""
    fam = ctx.fam
    for key in ("pk_test_x", "pk_live_0123456789"):
        response = ctx.client.as_token(key).get(fam.path("/audiences"))
        _expect_401(ctx, response, "Secret key required", f"publishable key {key} is not 401")


@scenario("tenant_isolation", second_token=True)
def tenant_isolation(ctx: ScenarioContext) -> None:
    """Another organization's key cannot read, change or delete this one's audience (a 404)."""
    fam = ctx.fam
    assert ctx.second is not None
    created = ctx.create_audience("static", "tenant")
    path = fam.path(f"/audiences/{created['id']}")
    other = ctx.second
    attempts: tuple[tuple[str, Any], ...] = (
        ("GET", None),
        ("PUT", {"name": ctx.name("hijack")}),
        ("DELETE", None),
    )
    for method, body in attempts:
        response = other.request(method, path, json_body=body)
        ctx.expect_status(response, 404, f"Another organization's key can {method} the audience")
    response = other.get(fam.path(f"/audiences/{created['id']}/members"))
    ctx.expect_status(response, 404, "Another organization's key can read the members")
    response = other.get(fam.path("/audiences"), params=None if fam.name == "v1" else {"first": 100})
    ctx.expect_status(response, 200, "The second key cannot list its own audiences")
    listed = response.text
    ctx.expect(created["id"] not in listed, "Another organization's list shows the audience", created["id"])
    response = ctx.client.get(path)
    ctx.expect_status(response, 200, "The owner lost the audience after the other key's attempts")
    ctx.expect(
        ctx.json(response).get("name") == created["name"],
        "Another organization's key changed the audience",
        f"name is now {ctx.json(response).get('name')!r}",
    )

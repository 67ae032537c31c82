"""The control-plane flow the mock document's examples are recorded from: what a test suite and the
dashboard do with `/_mock` (jobs, faults, the journal, the clock, snapshots, scenarios), and the
documents, pages and assets (long text by its first lines, binary content by its size, a whole
document abbreviated to its first operation)."""

from __future__ import annotations

from typing import Any

from mock_server.examples.admin_flow import check
from mock_server.examples.recorder import Recorder

__all__ = ["control_flow"]


def control_flow(rec: Recorder, key: str) -> None:
    c = rec.call
    c("health", "The mock is up", "GET", "/_mock/health")
    c("description", "What this mock serves", "GET", "/")
    c("description", "What this mock serves", "GET", "/_mock")
    c("description", "What this mock serves (a client that is not a browser)", "GET", "/_mock/")
    rec.body("dashboard", "The dashboard page", "/_mock/", accept="text/html")
    for asset, name in (("app.js", "script"), ("app.css", "styleSheet"), ("icon.svg", "icon")):
        rec.body(name, f"The dashboard's {asset}", f"/_mock/ui/{asset}")
    rec.body("page", "The docs page (Swagger UI)", "/docs")
    for asset, name in (
        ("swagger-ui-bundle.js", "script"),
        ("swagger-ui.css", "styleSheet"),
        ("favicon-32x32.png", "icon"),
        ("fanfare.json", "document"),
    ):
        rec.body(
            name,
            f"Swagger UI's {asset}" if name != "document" else "The Admin API document (abbreviated)",
            f"/docs/{asset}",
            abbreviate=_first_operation,
        )
    for path, what in (("/openapi.json", "The Admin API document"), ("/_mock/openapi.json", "This document")):
        rec.body(
            "document", f"{what} (abbreviated to its first operation)", path, abbreviate=_first_operation
        )

    for kind in ("import", "sync"):
        c(
            "afterSeconds" if kind == "sync" else "immediate",
            f"The tenant's {kind} jobs progression",
            "PUT",
            f"/_mock/jobs/{kind}/progression",
            json={"secretKey": key, "mode": "afterSeconds", "seconds": 10}
            if kind == "sync"
            else {"secretKey": key, "mode": "immediate"},
        )
    c(
        "queued",
        "The tenant's next CSV import fails",
        "POST",
        "/_mock/jobs/import/outcomes",
        json={"secretKey": key, "outcome": "fail", "reason": "The file could not be read"},
    )
    organizations = c(
        "organizations", "Every organization, in order of first use", "GET", "/_mock/organizations"
    )
    organization = organizations["organizations"][0]["id"]
    detail = c(
        "organization",
        "One organization as the dashboard shows it",
        "GET",
        f"/_mock/organizations/{organization}",
    )
    audience = detail["audiences"][0]["id"]
    c(
        "membersPage",
        "A page of an audience's members",
        "GET",
        f"/_mock/organizations/{organization}/audiences/{audience}/members",
        params={"first": 3},
    )
    c(
        "queued",
        "The organization's next sync partly fails",
        "POST",
        f"/_mock/organizations/{organization}/jobs/sync/outcomes",
        json={"outcome": "partial", "rowErrors": [{"row": 2, "issues": ["Invalid email"]}]},
    )

    rule = c(
        "status",
        "The next list of audiences answers 500",
        "POST",
        "/_mock/faults",
        json={"operationId": "getV1Audiences", "status": 500, "times": 1},
    )
    c(
        "example",
        "Every sync of the tenant answers the documented 409",
        "POST",
        "/_mock/faults",
        json={"operationId": "postV1AudiencesByAudienceIdSync", "secretKey": key, "example": "inProgress"},
    )
    c(
        "latency",
        "Every call of another tenant waits 1.5 s",
        "POST",
        "/_mock/faults",
        json={"secretKey": "sk_test_slow_network", "latencyMs": 1500},
    )
    c("faults", "The active rules", "GET", "/_mock/faults")
    c("removed", "One rule removed", "DELETE", f"/_mock/faults/{rule['id']}")
    c("removed", "Every rule removed", "DELETE", "/_mock/faults")

    c(
        "latest",
        "The newest two entries of the journal",
        "GET",
        "/_mock/journal",
        params={"limit": 2, "path": "/api/"},
    )
    c("removed", "The journal emptied", "DELETE", "/_mock/journal")

    c("clock", "The virtual now", "GET", "/_mock/clock")
    c("advanced", "The clock moved an hour on", "POST", "/_mock/clock", json={"advanceSeconds": 3600})
    scenario = c("scenario", "The world as a scenario file", "GET", "/_mock/scenario")
    rec.body("yaml", "The world as a YAML scenario file", "/_mock/scenario?format=yaml")
    check(scenario["organizations"], "the scenario names the organization")
    c(
        "loaded",
        "A scenario with one organization loaded",
        "POST",
        "/_mock/scenario",
        json={
            "scenario": 1,
            "organizations": [
                {
                    "key": "sk_test_scenario",
                    "audiences": [{"name": "Newsletter", "type": "STATIC", "members": "5 generated"}],
                    "experiences": [{"name": "Spring drop", "openAt": "+2h", "closeAt": "+3d"}],
                }
            ],
        },
    )
    c("tenant", "One tenant reset to its seeded state", "POST", "/_mock/reset", json={"secretKey": key})
    c("all", "The whole world reset", "POST", "/_mock/reset")
    c("reseeded", "The world rebuilt from seed 7", "POST", "/_mock/seed", json={"seed": 7, "consumers": 20})
    # A snapshot holds each generator's state (7 KB apiece) and every changed consumer: a small world's.
    rec.send(
        "POST",
        "/api/v1/audiences",
        201,
        json={
            "name": "VIP",
            "type": "DYNAMIC",
            "rules": [{"field": "totalOrders", "operator": "GREATER_THAN", "values": [1]}],
        },
    )
    snapshot = c(
        "snapshot",
        "A world of one organization (20 consumers, one audience) as a snapshot",
        "GET",
        "/_mock/state",
    )
    c("restored", "The world restored from its snapshot", "PUT", "/_mock/state", json=snapshot)


def _first_operation(document: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI document cut down to its header and its first path's first operation's name."""
    path, item = next(iter(document["paths"].items()))
    method, operation = next((m, o) for m, o in item.items() if isinstance(o, dict) and "operationId" in o)
    short: dict[str, Any] = {key: document[key] for key in ("openapi", "info", "servers") if key in document}
    short["info"] = {key: document["info"][key] for key in ("title", "version")}
    short["paths"] = {
        path: {method: {"operationId": operation["operationId"], "summary": operation["summary"]}}
    }
    return short

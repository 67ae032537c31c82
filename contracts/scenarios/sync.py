"""List-sync scenarios: only synced lists sync, and never twice at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import rules
from contracts.families import API, V1
from contracts.scenarios.base import ScenarioContext, ScenarioSkip, scenario

# The guide's Klaviyo example list ids: a target's catalogue may hold them (the mock's does not have to).
GUIDE_LIST_IDS = ["YwxYPP", "AbCdEf", "XyZaBc"]


@scenario("sync_not_synced_is_400")
def sync_not_synced(ctx: ScenarioContext) -> None:
    """Re-syncing an audience that is not a synced list is a 400 in the family's envelope."""
    fam = ctx.fam
    ctx.require("post", fam.path("/audiences/{audienceId}/sync"))
    audience = ctx.create_audience("static", "sync-static")
    response = ctx.client.post(fam.path(f"/audiences/{audience['id']}/sync"))
    ctx.expect_status(response, 400, "Sync of a non-synced audience not refused")
    body = ctx.json(response)
    problems = rules.error_envelope_problems(fam, 400, body)
    ctx.expect(not problems, f"Wrong error envelope for the {fam.dialect} family", "; ".join(problems))
    if fam is V1:
        ctx.expect(
            body.get("error") == "Audience is not a synced list",
            "Sync refusal does not say why",
            f"error is {body.get('error')!r}, the guide says 'Audience is not a synced list'",
        )


def _synced_list(ctx: ScenarioContext) -> dict[str, Any]:
    """A synced list this run owns: through the reference family's create, or a guide Klaviyo import."""
    fam = ctx.fam
    if API.name in {f.name for f in ctx.options.families} and ctx.has_operation(
        "post", API.path("/audiences")
    ):
        source = {"syncSource": "klaviyo:list", "syncSourceId": ctx.name("list")}
        return ctx.create_audience("synced", "synced", family=API, primarySyncSource=source)
    path = fam.path("/audiences/import/klaviyo")
    ctx.require("post", path)
    response = ctx.client.post(path, json_body={"listIds": GUIDE_LIST_IDS})
    ctx.expect_status(response, 200, "Klaviyo import failed")
    imported = ctx.json(response).get("imported") or []
    if not imported:
        raise ScenarioSkip("the target's Klaviyo catalogue has none of the guide's example lists")
    source_id = imported[0].get("syncSourceId")
    listing = ctx.client.get(fam.path("/audiences"), params={"include": "primarySyncSource"})
    for audience in ctx.json(listing) or []:
        if isinstance(audience, Mapping) and audience.get("primarySyncSourceId") == source_id:
            ctx.client.guard.ledger.add("audience", str(audience["id"]), fam.name, name=audience.get("name"))
            return dict(audience)
    raise ScenarioSkip("the imported list's audience could not be found")


@scenario("sync_in_progress_is_409")
def sync_in_progress(ctx: ScenarioContext) -> None:
    """While a sync of a list is pending, another sync of it is a 409, and `/status` says it is in
    progress (`syncStatus: PENDING` with `inProgress: true`)."""
    fam = ctx.fam
    ctx.require("post", fam.path("/audiences/{audienceId}/sync"))
    audience = _synced_list(ctx)
    path = fam.path(f"/audiences/{audience['id']}/sync")

    def status() -> Mapping[str, Any]:
        read = ctx.json(ctx.client.get(fam.path(f"/audiences/{audience['id']}/status")))
        read = read if isinstance(read, Mapping) else {}
        ctx.expect(
            read.get("syncStatus") != "PENDING" or read.get("inProgress") is True,
            "Status and sync disagree on a sync in progress",
            f"/status says syncStatus {read.get('syncStatus')!r} with inProgress {read.get('inProgress')!r}: "
            "a pending sync is work in progress (a re-sync is refused as already in progress)",
        )
        return read

    first = ctx.client.post(path)
    if first.status_code == 409:
        status()  # the import's own sync is still pending: exactly the rule, if the status agrees
        return
    ctx.expect_status(first, 200, "Sync of a synced list refused")
    started = ctx.json(first)
    ctx.expect(
        started.get("status") == "PENDING" and started.get("success") is True,
        "Sync start is not {success: true, status: PENDING}",
        repr(started),
    )
    after = status()
    if not (after.get("syncStatus") == "PENDING" or after.get("inProgress")):
        raise ScenarioSkip("the target finished the sync before a second one could be sent")
    second = ctx.client.post(path)
    ctx.expect_status(second, 409, "Second sync accepted while one is in progress")
    problems = rules.error_envelope_problems(fam, 409, ctx.json(second))
    ctx.expect(not problems, f"Wrong error envelope for the {fam.dialect} family", "; ".join(problems))

"""The Admin API flow the examples are recorded from: what a shop's integration does, on both families.

Each `rec.call(name, summary, ...)` records its answer as the example `name` of the operation it
reaches; `rec.send` is a step that is not recorded (an upload, a second read of the same thing).
"""

from __future__ import annotations

from typing import Any

from mock_server.examples.recorder import Recorder, RecordingError

__all__ = ["CSV", "guide_flow", "reference_flow"]

#: The list the CSV imports upload: four good rows (email, phone, external id) and one bad one.
CSV = (
    "email,phone,externalId,fullName\n"
    "ada.lovelace@example.com,+14155550100,crm_1001,Ada Lovelace\n"
    "grace.hopper@example.com,,crm_1002,Grace Hopper\n"
    ",+442071838750,crm_1003,Alan Turing\n"
    "katherine.johnson@example.com,,,Katherine Johnson\n"
    "not-an-email,,,Bad Row\n"
)


def upload(rec: Recorder, url: str, name: str | None = None) -> Any:
    """PUT the CSV to an import's uploadUrl (the mock's stand-in for S3), recorded when `name` is given."""
    path = url.split("://", 1)[-1]
    path = path[path.index("/") :]
    request = {"content": CSV.encode(), "headers": {"content-type": "text/csv"}}
    if name is None:
        return rec.send("PUT", path, 200, **request).json()
    return rec.call(name, "A CSV of five rows, one of them invalid", "PUT", path, **request)


def check(condition: object, what: str) -> None:
    if not condition:
        raise RecordingError(f"the flow did not see what it expected: {what}")


def guide_flow(rec: Recorder) -> None:
    """/api/v1: audiences of each type, members, count, status, rules, groups, tiers, Klaviyo, CSV,
    experiences."""
    c = rec.call
    v1 = "/api/v1"
    vip = c(
        "dynamicAudience",
        "A DYNAMIC audience from its rules (the guide's example)",
        "POST",
        f"{v1}/audiences",
        json={
            "name": "VIP Customers",
            "description": "Customers with 5+ orders",
            "type": "DYNAMIC",
            "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [5]}],
        },
    )
    newsletter = rec.send(
        "POST",
        f"{v1}/audiences",
        201,
        json={"name": "Newsletter", "type": "STATIC", "description": "Signed up in store"},
    ).json()
    c("audiences", "Every audience, oldest first (a bare array)", "GET", f"{v1}/audiences")
    c(
        "withRules",
        "The audience with its rules and imports (the default include)",
        "GET",
        f"{v1}/audiences/{vip['id']}",
    )
    c(
        "renamed",
        "Only the fields sent change; the version moves on",
        "PUT",
        f"{v1}/audiences/{vip['id']}",
        json={"name": "Premium VIP Customers", "description": "Top tier customers"},
    )
    c(
        "addedRule",
        "A rule in a new group (OR with the first group)",
        "POST",
        f"{v1}/audiences/{vip['id']}/rules",
        json=[{"field": "totalOrderValue", "operator": "GREATER_THAN", "values": ["500.00"]}],
    )
    count = c(
        "memberCount", "How many consumers the audience holds", "GET", f"{v1}/audiences/{vip['id']}/count"
    )
    page = c(
        "firstPage",
        "The first page of members (keyset cursor in pageInfo)",
        "GET",
        f"{v1}/audiences/{vip['id']}/members",
        params={"first": 3},
    )
    check(count["count"] > 3 and page["pageInfo"]["endCursor"], "more than one page of VIP members")
    c(
        "audienceStatus",
        "The audience's materialization and sync status",
        "GET",
        f"{v1}/audiences/{vip['id']}/status",
    )
    added = c(
        "addedMembers",
        "Consumers added to a static list by id",
        "POST",
        f"{v1}/audiences/{newsletter['id']}/members",
        json={"consumerIds": [member["id"] for member in page["data"][:2]]},
    )
    check(added, "members added")

    tiers = c(
        "tierGroup",
        "A loyalty tier group: one SEGMENTED_VALUE audience per tier",
        "POST",
        f"{v1}/audiences/loyalty-tiers",
        json={
            "groupName": "Loyalty",
            "attribute": "totalOrderValue",
            "tiers": [
                {"name": "Bronze", "startValue": 0, "endValue": 100, "order": 1},
                {"name": "Silver", "startValue": 100, "endValue": 500, "order": 2},
                {"name": "Gold", "startValue": 500, "order": 3},
            ],
        },
    )
    group = tiers["tierGroup"]
    c(
        "retiered",
        "The tiers replaced: the kept tiers keep their audiences",
        "PUT",
        f"{v1}/audiences/loyalty-tiers/{group}",
        json={
            "groupName": "Loyalty",
            "attribute": "totalOrderValue",
            "tiers": [
                {"name": "Bronze", "startValue": 0, "endValue": 250, "order": 1},
                {"name": "Gold", "startValue": 250, "order": 2},
            ],
        },
    )
    c("tierAudiences", "The audiences of a tier group", "GET", f"{v1}/audiences/groups/{group}")
    c(
        "groupMembers",
        "Members of every audience of the group",
        "GET",
        f"{v1}/audiences/groups/{group}/members",
        params={"first": 3},
    )

    imported = c(
        "importedLists",
        "A Klaviyo list imported as a SYNCED_LIST audience; an unknown id is skipped",
        "POST",
        f"{v1}/audiences/import/klaviyo",
        json={"listIds": ["YwxYPP", "nope"]},
    )
    source = imported["imported"][0]["syncSourceId"]
    listed = rec.send("GET", f"{v1}/audiences", 200).json()
    synced = next(audience for audience in listed if audience.get("primarySyncSourceId") == source)
    c("syncStarted", "A sync of the synced list started", "POST", f"{v1}/audiences/{synced['id']}/sync")

    started = c(
        "importCreated",
        "An import waiting for its CSV at uploadUrl",
        "POST",
        f"{v1}/audiences/{newsletter['id']}/import",
    )
    upload(rec, started["uploadUrl"], "uploaded")
    done = c(
        "withImports",
        "A static list with its completed CSV import",
        "GET",
        f"{v1}/audiences/{newsletter['id']}",
        params={"include": "imports"},
    )
    check(done["imports"][0]["errorCount"] == 1, "the bad CSV row reported")
    c("deletedGroup", "The tier group's audiences, archived", "DELETE", f"{v1}/audiences/groups/{group}")
    c("deletedAudience", "The archived audience", "DELETE", f"{v1}/audiences/{newsletter['id']}")

    launch = c(
        "draft",
        "A new experience (DRAFT until it has a window)",
        "POST",
        f"{v1}/experiences",
        json={"name": "Spring Sneaker Drop", "timeZone": "America/New_York"},
    )
    c("experiences", "Every experience", "GET", f"{v1}/experiences")
    c(
        "scheduled",
        "A window set: SCHEDULED on the virtual clock",
        "PUT",
        f"{v1}/experiences/{launch['id']}",
        json={"openAt": "2025-03-01T15:00:00Z", "closeAt": "2025-03-03T15:00:00Z"},
    )
    c(
        "withMetrics",
        "The experience with its metrics",
        "GET",
        f"{v1}/experiences/{launch['id']}",
        params={"include": "metrics"},
    )
    copy = c(
        "copy",
        "A copy, named `Copy of ...` by default",
        "POST",
        f"{v1}/experiences/{launch['id']}/duplicate",
        json={},
    )
    c("deletedExperience", "The deleted copy", "DELETE", f"{v1}/experiences/{copy['id']}")


def reference_flow(rec: Recorder) -> None:
    """/api: the same world in the reference dialect, every operation of the family."""
    c = rec.call
    api = "/api"
    vip = c(
        "dynamicAudience",
        "A DYNAMIC audience from its rules",
        "POST",
        f"{api}/audiences",
        json={
            "name": "Frequent Buyers",
            "type": "DYNAMIC",
            "rules": [{"field": "totalOrders", "operator": "GREATER_THAN", "values": [3]}],
        },
    )
    static = c(
        "staticList",
        "A STATIC_LIST audience (members added by id or CSV)",
        "POST",
        f"{api}/audiences",
        json={"name": "Press List", "type": "STATIC_LIST", "description": "Journalists and creators"},
    )
    c("firstPage", "A page of audiences", "GET", f"{api}/audiences", params={"first": 3})
    c("audience", "The audience in the reference's full shape", "GET", f"{api}/audiences/{vip['id']}")
    c(
        "described",
        "The audience's top-level fields updated",
        "PUT",
        f"{api}/audiences/{vip['id']}",
        json={"description": "More than three orders"},
    )
    rules = c("rules", "The audience's rules", "GET", f"{api}/audiences/{vip['id']}/rules")
    rule_id = rules[0]["id"]
    c("oneRule", "One rule", "GET", f"{api}/audiences/{vip['id']}/rules/{rule_id}")
    c(
        "updatedRule",
        "A rule's values changed",
        "PUT",
        f"{api}/audiences/{vip['id']}/rules/{rule_id}",
        json={"values": [4]},
    )
    added = c(
        "addedRule",
        "A rule added to the audience",
        "POST",
        f"{api}/audiences/{vip['id']}/rules",
        json={"audienceId": vip["id"], "field": "email", "operator": "CONTAINS", "values": ["@example.com"]},
    )
    c("deletedRule", "The deleted rule", "DELETE", f"{api}/audiences/{vip['id']}/rules/{added['id']}")
    c(
        "replacedRules",
        "Every rule replaced",
        "PUT",
        f"{api}/audiences/{vip['id']}/rules",
        json={
            "rules": [
                {
                    "audienceId": vip["id"],
                    "field": "totalOrders",
                    "operator": "GREATER_THAN_OR_EQUAL",
                    "values": [4],
                }
            ]
        },
    )
    c("memberCount", "How many consumers the audience holds", "GET", f"{api}/audiences/{vip['id']}/count")
    page = c(
        "membersPage",
        "A page of members (keyset cursor in pageInfo)",
        "GET",
        f"{api}/audiences/{vip['id']}/members",
        params={"first": 3},
    )
    c("audienceStatus", "The audience's status", "GET", f"{api}/audiences/{vip['id']}/status")
    c(
        "consumerAudiences",
        "The audiences a consumer belongs to",
        "GET",
        f"{api}/consumers/{page['data'][0]['id']}/audiences",
    )
    c(
        "addedMembers",
        "Consumers added to a static list by id",
        "POST",
        f"{api}/audiences/{static['id']}/members",
        json={"consumerIds": [member["id"] for member in page["data"][:2]]},
    )

    tiers: dict[str, Any] = {
        "groupName": "Order Count",
        "attribute": "totalOrders",
        "tiers": [
            {"name": "New", "startValue": 0, "endValue": 3, "order": 1},
            {"name": "Regular", "startValue": 3, "order": 2},
        ],
    }
    group = c("tierGroup", "A loyalty tier group", "POST", f"{api}/audiences/loyalty-tiers", json=tiers)
    group_id = group["tierGroup"]
    tiers["tiers"][1]["name"] = "Loyal"
    c("retiered", "The tiers replaced", "PUT", f"{api}/audiences/loyalty-tiers/{group_id}", json=tiers)
    c("tierAudiences", "The audiences of a tier group", "GET", f"{api}/audiences/groups/{group_id}")
    c(
        "groupMembers",
        "Members of every audience of the group",
        "GET",
        f"{api}/audiences/groups/{group_id}/members",
        params={"first": 3},
    )
    c("deletedGroup", "The group's audiences, archived", "DELETE", f"{api}/audiences/groups/{group_id}")

    imported = c(
        "importedList",
        "A Klaviyo list imported as a synced list",
        "POST",
        f"{api}/audiences/import/klaviyo",
        json={"listIds": ["AbCdEf"]},
    )
    for esp in ("mailchimp", "sendgrid"):
        c(
            "importedList",
            f"A {esp} list imported",
            "POST",
            f"{api}/audiences/import/{esp}",
            json={"listIds": ["XyZaBc"]},
        )
    source = imported["imported"][0]["syncSourceId"]
    listed = rec.send("GET", f"{api}/audiences", 200, params={"first": 100}).json()["data"]
    synced = next(audience for audience in listed if audience.get("primarySyncSourceId") == source)
    c("syncStarted", "A sync of the synced list started", "POST", f"{api}/audiences/{synced['id']}/sync")

    started = c(
        "importCreated",
        "An import waiting for its CSV at uploadUrl",
        "POST",
        f"{api}/audiences/{static['id']}/import",
    )
    upload(rec, started["uploadUrl"])
    done = c(
        "completed",
        "The import, completed with one row error",
        "GET",
        f"{api}/audiences/{static['id']}/import",
    )
    check(done["status"] == "COMPLETED", "the import completed")
    c("deletedAudience", "The archived audience", "DELETE", f"{api}/audiences/{static['id']}")

    launch = c(
        "created",
        "A new experience",
        "POST",
        f"{api}/experiences",
        json={"name": "Summer Capsule Launch", "timeZone": "Europe/London"},
    )
    c("experiencesPage", "A page of experiences", "GET", f"{api}/experiences", params={"first": 10})
    c("experience", "One experience", "GET", f"{api}/experiences/{launch['id']}")
    c("metrics", "The experience's metrics", "GET", f"{api}/experiences/{launch['id']}/metrics")
    c(
        "renamed",
        "The experience renamed",
        "PUT",
        f"{api}/experiences/{launch['id']}",
        json={"name": "Summer Capsule"},
    )
    c("deletedExperience", "The deleted experience", "DELETE", f"{api}/experiences/{launch['id']}")

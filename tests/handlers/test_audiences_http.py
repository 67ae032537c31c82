"""Audience operations over HTTP, both families, against the real app (strict response checks on)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.handlers.conftest import created

VIP = {
    "name": "VIP Customers",
    "type": "DYNAMIC",
    "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [5]}],
}


def walk(client: Any, path: str, first: int = 7, between: Any = None) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        params: dict[str, Any] = {"first": first}
        if after:
            params["after"] = after
        page = client.get(path, params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [c["id"] for c in body["data"]]
        after = body["pageInfo"]["endCursor"]
        if after is None:
            return seen
        if between is not None:
            between()


def test_created_on_the_guide_family_is_read_on_the_reference_family(client: Any) -> None:
    audience = created(client.post("/api/v1/audiences", json={"name": "Newsletter", "type": "STATIC"}), 201)
    assert audience["type"] == "STATIC" and audience["version"] == 1
    same = created(client.get(f"/api/audiences/{audience['id']}"), 200)
    assert same["id"] == audience["id"]
    assert same["type"] == "STATIC_LIST"
    assert same["rules"] == [] and same["imports"] == [] and same["archived"] is False


def test_reference_creates_answer_200_and_are_visible_on_the_guide_family(client: Any) -> None:
    audience = created(client.post("/api/audiences", json={"name": "List", "type": "STATIC_LIST"}), 200)
    assert created(client.get(f"/api/v1/audiences/{audience['id']}"), 200)["type"] == "STATIC"


@pytest.mark.parametrize(
    ("path", "spelling"), [("/api/v1/audiences", "STATIC_LIST"), ("/api/audiences", "STATIC")]
)
def test_each_family_refuses_the_other_familys_spelling(client: Any, path: str, spelling: str) -> None:
    response = client.post(path, json={"name": "x", "type": spelling})
    assert response.status_code == 400
    body = response.json()
    if path.startswith("/api/v1"):
        assert body["error"] == "Validation failed" and body["details"][0]["field"] == "type"
    else:
        assert body["error"] == "validation_error" and body["issues"]


def test_update_bumps_version_only_on_rule_changes_and_delete_archives(client: Any) -> None:
    audience = created(client.post("/api/v1/audiences", json=VIP), 201)
    path = f"/api/v1/audiences/{audience['id']}"
    renamed = created(client.put(path, json={"name": "Premium VIP"}), 200)
    assert renamed["name"] == "Premium VIP" and renamed["version"] == 1
    rules = created(
        client.post(f"{path}/rules", json=[{"field": "email", "operator": "CONTAINS", "values": ["@"]}]), 201
    )
    assert rules[0]["field"] == "email" and rules[0]["groupId"]
    assert created(client.get(path), 200)["version"] == 2
    deleted = created(client.delete(path), 200)
    assert deleted["archived"] is True
    assert client.get(path).json() == {"error": "Audience not found"}
    assert client.get(f"/api/audiences/{audience['id']}").status_code == 404
    assert all(a["id"] != audience["id"] for a in client.get("/api/v1/audiences").json())


def test_dynamic_membership_count_and_status(client: Any) -> None:
    audience = created(client.post("/api/v1/audiences", json=VIP), 201)
    path = f"/api/v1/audiences/{audience['id']}"
    count = created(client.get(f"{path}/count"), 200)
    assert count["source"] == "valkey_alias" and count["count"] > 0
    members = walk(client, f"{path}/members", first=50)
    assert len(members) == len(set(members)) == count["count"]
    for member in client.get(f"{path}/members", params={"first": 100}).json()["data"]:
        assert member["totalOrders"] >= 5
    status = created(client.get(f"{path}/status"), 200)
    assert status["version"] == 1 and status["stale"] is False and status["inProgress"] is False


def test_members_walk_sees_every_member_once_while_members_are_added(client: Any, fanfare_mock: Any) -> None:
    audience = created(client.post("/api/v1/audiences", json={"name": "List", "type": "STATIC"}), 201)
    path = f"/api/v1/audiences/{audience['id']}"
    everyone = walk(
        client,
        "/api/v1/audiences/"
        + created(
            client.post(
                "/api/v1/audiences",
                json={
                    "name": "All",
                    "type": "DYNAMIC",
                    "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [0]}],
                },
            ),
            201,
        )["id"]
        + "/members",
        first=100,
    )
    first_half, second_half = everyone[:60], everyone[60:120]
    assert created(client.post(f"{path}/members", json={"consumerIds": first_half}), 200)["addedCount"] == 60
    pending = iter(second_half[i : i + 10] for i in range(0, 60, 10))

    def add_more() -> None:
        batch = next(pending, None)
        if batch:
            client.post(f"{path}/members", json={"consumerIds": batch})

    seen = walk(client, f"{path}/members", first=7, between=add_more)
    assert len(seen) == len(set(seen)), "a member was seen twice"
    assert set(first_half) <= set(seen), "a member present throughout the walk was skipped"
    assert created(client.get(f"{path}/count"), 200)["count"] == 120


def test_first_is_capped_at_100_and_search_filters(client: Any) -> None:
    audience = created(client.post("/api/v1/audiences", json=VIP), 201)
    path = f"/api/v1/audiences/{audience['id']}/members"
    assert client.get(path, params={"first": 101}).status_code == 400
    assert len(client.get(path, params={"first": 100}).json()["data"]) <= 100
    some = client.get(path, params={"first": 1}).json()["data"][0]
    term = some["fullName"].split()[0].lower()
    found = client.get(path, params={"search": term, "first": 100}).json()["data"]
    assert found and some["id"] in [m["id"] for m in found]
    for member in found:
        haystack = " ".join(filter(None, [member["email"], member["phone"], member["fullName"]])).lower()
        assert term in haystack


def test_another_tenant_cannot_see_the_audience(client: Any, other: Any) -> None:
    audience = created(client.post("/api/v1/audiences", json=VIP), 201)
    for path in (f"/api/v1/audiences/{audience['id']}", f"/api/audiences/{audience['id']}/members"):
        response = other.get(path)
        assert response.status_code == 404, response.text
    assert other.get("/api/v1/audiences").json() == []


ACCEPTED = (
    "Send Authorization: Bearer sk_test_... (or sk_live_...): any secret key is accepted, "
    "and each distinct key is its own organization"
)


def test_auth_errors_say_what_is_accepted(fanfare_mock: Any) -> None:
    anonymous = fanfare_mock.client_for(None)
    assert anonymous.get("/api/v1/audiences").json() == {
        "error": "Authentication required",
        "message": ACCEPTED,
    }
    publishable = fanfare_mock.client_for("pk_test_abc")
    response = publishable.get("/api/audiences")
    assert response.status_code == 401
    assert response.json() == {"error": "Secret key required", "message": ACCEPTED}


@pytest.mark.fanfare(keys=["sk_test_pinned_0000a1b2", "sk_test_pinned_0000c3d4"])
def test_a_mock_with_pinned_keys_names_them_masked_on_a_401(fanfare_mock: Any) -> None:
    accepted = (
        "This mock accepts only the secret keys it was started with (--keys): sk_test_…a1b2, sk_test_…c3d4"
    )
    for key in (None, "sk_test_stranger_0000ffff"):
        for path in ("/api/v1/audiences", "/api/audiences"):
            response = fanfare_mock.client_for(key).get(path)
            assert response.status_code == 401, response.text
            assert response.json()["message"] == accepted
            assert "pinned_0000" not in response.text


def test_rules_with_groups_and_every_reference_rule_operation(client: Any) -> None:
    audience = created(client.post("/api/audiences", json={"name": "Rules", "type": "DYNAMIC"}), 200)
    path = f"/api/audiences/{audience['id']}/rules"
    rule = created(
        client.post(
            path,
            json={
                "audienceId": audience["id"],
                "field": "totalOrders",
                "operator": "BETWEEN",
                "values": [2, 4],
            },
        ),
        200,
    )
    assert rule["audienceId"] == audience["id"] and rule["organizationId"] == audience["organizationId"]
    mismatch = client.post(
        path, json={"audienceId": "other", "field": "email", "operator": "EXISTS", "values": []}
    )
    assert mismatch.status_code == 400
    assert [r["id"] for r in created(client.get(path), 200)] == [rule["id"]]
    updated = created(client.put(f"{path}/{rule['id']}", json={"values": [3, 3]}), 200)
    assert updated["values"] == [3, 3]
    for member in client.get(f"/api/audiences/{audience['id']}/members", params={"first": 100}).json()[
        "data"
    ]:
        assert member["totalOrders"] == 3
    replaced = created(
        client.put(
            path,
            json={
                "rules": [
                    {
                        "audienceId": audience["id"],
                        "field": "ltv",
                        "operator": "GREATER_THAN",
                        "values": [100],
                    }
                ]
            },
        ),
        200,
    )
    assert len(replaced) == 1 and replaced[0]["field"] == "ltv"
    deleted = created(client.delete(f"{path}/{replaced[0]['id']}"), 200)
    assert deleted["id"] == replaced[0]["id"]
    assert client.get(f"{path}/{replaced[0]['id']}").status_code == 404


def test_unknown_rule_field_and_wrong_arity_are_400(client: Any) -> None:
    bad_field = client.post(
        "/api/audiences",
        json={
            "name": "x",
            "type": "DYNAMIC",
            "rules": [{"field": "shoeSize", "operator": "EQUALS", "values": [42]}],
        },
    )
    assert bad_field.status_code == 400, bad_field.text
    bad_arity = client.post(
        "/api/audiences",
        json={
            "name": "x",
            "type": "DYNAMIC",
            "rules": [{"field": "totalOrders", "operator": "BETWEEN", "values": [1]}],
        },
    )
    assert bad_arity.status_code == 400, bad_arity.text


TIERS = {
    "groupName": "Spending Tiers",
    "attribute": "totalOrderValue",
    "tiers": [
        {"name": "Bronze", "startValue": 0, "endValue": 100, "order": 0},
        {"name": "Silver", "startValue": 100, "endValue": 500, "order": 1},
        {"name": "Gold", "startValue": 500, "order": 2},
    ],
}


def test_loyalty_tiers_partition_the_consumers_and_update_diffs(client: Any) -> None:
    group = created(client.post("/api/v1/audiences/loyalty-tiers", json=TIERS), 201)
    tier_group = group["tierGroup"]
    assert [a["metadata"]["tierBoundaries"] for a in group["audiences"]] == [
        {"min": 0, "max": 100},
        {"min": 100, "max": 500},
        {"min": 500, "max": None},
    ]
    members: dict[str, set[str]] = {}
    for audience in group["audiences"]:
        assert audience["groupType"] == "SEGMENTED_VALUE" and audience["groupId"] == tier_group
        members[audience["name"]] = set(
            walk(client, f"/api/v1/audiences/{audience['id']}/members", first=100)
        )
        for member in client.get(f"/api/v1/audiences/{audience['id']}/members", params={"first": 100}).json()[
            "data"
        ]:
            low = audience["metadata"]["tierBoundaries"]["min"]
            high = audience["metadata"]["tierBoundaries"]["max"]
            assert low <= member["totalOrderValue"] and (high is None or member["totalOrderValue"] < high)
    assert not (members["Bronze"] & members["Silver"]) and not (members["Silver"] & members["Gold"])
    union = walk(client, f"/api/v1/audiences/groups/{tier_group}/members", first=100)
    assert len(union) == len(set(union)) == sum(len(m) for m in members.values()) == 200
    assert len(created(client.get(f"/api/audiences/groups/{tier_group}"), 200)) == 3
    two = {
        **TIERS,
        "tiers": [
            {"name": "Low", "startValue": 0, "endValue": 250, "order": 0},
            {"name": "High", "startValue": 250, "order": 1},
        ],
    }
    updated = created(client.put(f"/api/v1/audiences/loyalty-tiers/{tier_group}", json=two), 200)
    assert [a["name"] for a in updated["audiences"]] == ["Low", "High"]
    deleted = created(client.delete(f"/api/v1/audiences/groups/{tier_group}"), 200)
    assert all(a["archived"] for a in deleted)
    assert client.get(f"/api/v1/audiences/groups/{tier_group}").status_code == 404


def test_overlapping_tiers_are_400(client: Any) -> None:
    overlapping = {
        **TIERS,
        "tiers": [
            {"name": "A", "startValue": 0, "endValue": 200, "order": 0},
            {"name": "B", "startValue": 100, "order": 1},
        ],
    }
    response = client.post("/api/v1/audiences/loyalty-tiers", json=overlapping)
    assert response.status_code == 400, response.text
    assert client.get("/api/v1/audiences").json() == [], "a refused request must change nothing"


def test_a_consumers_audiences(client: Any) -> None:
    audience = created(client.post("/api/v1/audiences", json=VIP), 201)
    member = client.get(f"/api/v1/audiences/{audience['id']}/members", params={"first": 1}).json()["data"][0]
    theirs = created(client.get(f"/api/consumers/{member['id']}/audiences"), 200)
    assert [a["id"] for a in theirs] == [audience["id"]]
    assert client.get("/api/consumers/nobody/audiences").status_code == 404


def test_reference_list_pages_newest_first(client: Any) -> None:
    ids = [
        created(client.post("/api/audiences", json={"name": f"a{i}", "type": "STATIC_LIST"}), 200)["id"]
        for i in range(5)
    ]
    page = created(client.get("/api/audiences", params={"first": 2}), 200)
    assert [a["id"] for a in page["data"]] == ids[::-1][:2]
    rest = created(
        client.get("/api/audiences", params={"first": 10, "after": page["pageInfo"]["endCursor"]}), 200
    )
    assert [a["id"] for a in rest["data"]] == ids[::-1][2:] and rest["pageInfo"]["endCursor"] is None


def test_unknown_method_is_405_with_allow_and_every_response_has_a_request_id(client: Any) -> None:
    response = client.patch("/api/v1/audiences")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.headers["x-request-id"]


def test_reference_group_fields_and_free_form_timestamps_round_trip(client: Any) -> None:
    # Found by schemathesis: groupType was stored as a string (500 on render), and the reference's
    # plain-string lastRefreshedAt ("") failed to parse (500). Both are schema-valid requests.
    body = {
        "name": "Seg",
        "type": "DYNAMIC",
        "groupType": "RFM",
        "groupName": "R",
        "lastRefreshedAt": "",
        "rules": [],
    }
    audience = created(client.post("/api/audiences", json=body), 200)
    assert audience["groupType"] == "RFM"
    assert audience["lastRefreshedAt"] in (None, "2025-01-01T00:00:00Z"), "an unreadable instant is not kept"
    patched = created(
        client.put(
            f"/api/audiences/{audience['id']}",
            json={"groupType": "SEGMENTED_VALUE", "lastRefreshedAt": "not a time"},
        ),
        200,
    )
    assert patched["groupType"] == "SEGMENTED_VALUE"
    assert created(client.get("/api/v1/audiences", params={"include": "rules"}), 200)[0]["groupType"] == (
        "SEGMENTED_VALUE"
    )


def test_reference_puts_without_a_body_change_nothing(client: Any) -> None:
    # Found by schemathesis: the reference's PUT bodies are optional; a PUT without one was a 500.
    audience = created(
        client.post(
            "/api/audiences",
            json={
                "name": "Same",
                "type": "DYNAMIC",
                "rules": [{"field": "totalOrders", "operator": "GREATER_THAN", "values": [1]}],
            },
        ),
        200,
    )
    assert created(client.put(f"/api/audiences/{audience['id']}"), 200)["name"] == "Same"
    rule = audience["rules"][0]
    assert created(client.put(f"/api/audiences/{audience['id']}/rules/{rule['id']}"), 200)["values"] == [1]
    assert (
        created(
            client.put(
                f"/api/experiences/{created(client.post('/api/experiences', json={'name': 'E'}), 200)['id']}"
            ),
            200,
        )["name"]
        == "E"
    )


def test_a_huge_rule_position_is_answered_not_a_500(client: Any) -> None:
    # Found by schemathesis: a position of 1e30 became a Python integer past 64 bits, which orjson refuses.
    body = {
        "name": "P",
        "type": "DYNAMIC",
        "rules": [{"field": "totalOrders", "operator": "EQUALS", "values": [1], "position": 1e30}],
    }
    response = client.post("/api/audiences", json=body)
    assert response.status_code in (200, 400), response.text


def _experience_on(client: Any, audience_id: str) -> str:
    body = {
        "name": f"Drop for {audience_id}",
        "timeZone": "UTC",
        "sequence": {
            "name": "Main",
            "audienceId": audience_id,
            "queues": [{"name": "Queue", "admitRate": 5}],
        },
    }
    return str(created(client.post("/api/experiences", json=body), 200)["id"])


def _sequence_audience(client: Any, experience_id: str) -> Any:
    experience = created(
        client.get(f"/api/v1/experiences/{experience_id}", params={"include": "sequences"}), 200
    )
    return experience["sequences"][0]["audienceId"]


def test_every_way_of_archiving_an_audience_detaches_it_from_experiences(client: Any) -> None:
    """Delete, group delete and a tier dropped by PUT all archive; each takes the audience off sequences."""
    group = created(client.post("/api/v1/audiences/loyalty-tiers", json=TIERS), 201)
    bronze, silver, gold = (a["id"] for a in group["audiences"])
    vip = created(client.post("/api/v1/audiences", json=VIP), 201)["id"]
    on = {audience: _experience_on(client, audience) for audience in (bronze, silver, gold, vip)}
    assert all(_sequence_audience(client, e) == a for a, e in on.items())

    dropped = {
        **TIERS,
        "tiers": TIERS["tiers"][:2],
    }
    created(client.put(f"/api/v1/audiences/loyalty-tiers/{group['tierGroup']}", json=dropped), 200)
    assert client.get(f"/api/v1/audiences/{gold}").status_code == 404  # the dropped tier is archived...
    assert _sequence_audience(client, on[gold]) is None  # ...and no sequence still names it
    assert _sequence_audience(client, on[bronze]) == bronze  # the kept tiers stay referenced

    created(client.delete(f"/api/v1/audiences/{vip}"), 200)
    assert _sequence_audience(client, on[vip]) is None
    created(client.delete(f"/api/v1/audiences/groups/{group['tierGroup']}"), 200)
    assert _sequence_audience(client, on[bronze]) is None and _sequence_audience(client, on[silver]) is None

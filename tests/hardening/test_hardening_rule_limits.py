"""Issue 10, no stalls from rules: an audience holds at most 100 rules in at most 20 groups (OR-ed), the
rule arrays of every request declare the bound in the spec, and a request past it is a 400 in its family's
envelope that changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from fanfare_spec import load
from mock_server.domain.audiences import MAX_GROUPS, MAX_RULES

V1 = "/api/v1/audiences"
API = "/api/audiences"


def rules(count: int, *, groups: int = 1) -> list[dict[str, Any]]:
    ids = [str(uuid.uuid4()) for _ in range(groups)]
    return [
        {"field": "totalOrders", "operator": "GREATER_THAN", "values": [i], "groupId": ids[i % groups]}
        for i in range(count)
    ]


def refused(response: Any, family: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    if family == "v1":
        assert body["error"] == "Validation failed" and body["details"], body
    else:
        assert body["error"] == "validation_error" and body["issues"], body
    return body


def test_the_limits_are_the_documented_ones() -> None:
    assert (MAX_RULES, MAX_GROUPS) == (100, 20)


def test_every_rule_array_a_request_sends_declares_the_limit() -> None:
    schemas = load("fanfare")["components"]["schemas"]
    assert schemas["V1CreateAudienceRequest"]["properties"]["rules"]["maxItems"] == MAX_RULES
    assert schemas["V1AddRulesRequest"]["maxItems"] == MAX_RULES
    assert schemas["ApiAudienceCreateRequest"]["properties"]["rules"]["maxItems"] == MAX_RULES
    assert schemas["ApiAudienceRulesReplaceRequest"]["properties"]["rules"]["maxItems"] == MAX_RULES


@pytest.mark.parametrize(("path", "family", "kind"), [(V1, "v1", "DYNAMIC"), (API, "api", "DYNAMIC")])
def test_a_create_past_either_limit_is_refused_and_creates_nothing(
    client: Any, path: str, family: str, kind: str
) -> None:
    before = client.get(V1).json()
    refused(client.post(path, json={"name": "Big", "type": kind, "rules": rules(MAX_RULES + 1)}), family)
    many_groups = rules(MAX_GROUPS + 1, groups=MAX_GROUPS + 1)
    body = refused(client.post(path, json={"name": "Wide", "type": kind, "rules": many_groups}), family)
    assert "20 groups" in str(body)
    assert client.get(V1).json() == before
    made = client.post(
        path, json={"name": "Widest", "type": kind, "rules": rules(MAX_RULES, groups=MAX_GROUPS)}
    )
    assert made.status_code in (200, 201), made.text


def test_adding_rules_past_the_limit_is_refused_and_keeps_the_rules(client: Any) -> None:
    audience = client.post(V1, json={"name": "Grow", "type": "DYNAMIC", "rules": rules(90)}).json()
    path = f"{V1}/{audience['id']}/rules"
    before = client.get(path).json()
    refused(client.post(path, json=rules(11)), "v1")
    refused(client.post(path, json=rules(MAX_GROUPS, groups=MAX_GROUPS)), "v1")
    assert client.get(path).json() == before
    assert client.post(path, json=rules(10)).status_code == 201


def test_replacing_and_adding_one_rule_on_the_reference_family_hold_the_limit(client: Any) -> None:
    audience = client.post(API, json={"name": "Ref", "type": "DYNAMIC", "rules": rules(MAX_RULES)}).json()
    path = f"{API}/{audience['id']}/rules"
    one = {"audienceId": audience["id"], "field": "totalOrders", "operator": "EXISTS", "values": []}
    refused(client.post(path, json=one), "api")
    replace = [{**r, "audienceId": audience["id"]} for r in rules(MAX_GROUPS + 1, groups=MAX_GROUPS + 1)]
    refused(client.put(path, json={"rules": replace}), "api")
    assert len(client.get(path).json()) == MAX_RULES


def test_an_unchanged_audience_on_an_unchanged_table_is_not_recomputed(
    fanfare_mock: Any, client: Any
) -> None:
    body = {"name": "Wide", "type": "DYNAMIC", "rules": rules(MAX_RULES, groups=MAX_GROUPS)}
    audience = client.post(V1, json=body).json()
    (org,) = (o for _, o in fanfare_mock.app.state.world.organizations())
    first = org.members.positions(audience["id"])
    for _ in range(3):
        client.get(f"{V1}/{audience['id']}/count")
        assert org.members.positions(audience["id"]) is first, "recomputed without a change"
    members = set(first.tolist())
    outside = next(p for p in range(len(org.consumers)) if p not in members)
    org.consumers.update(outside, total_orders=1_000_000)  # a changed consumer table: it now qualifies
    second = org.members.positions(audience["id"])
    assert second is not first and set(second.tolist()) == members | {outside}
    assert org.members.positions(audience["id"]) is second

"""Faults over HTTP: Prism's `Prefer: code=` / `example=` per request, and `/_mock/faults` rules (status,
documented example, latency, times, tenant). Only answers the spec declares; a forced answer changes
nothing. Strict response validation is on, so every forced answer is also checked against the spec."""

from __future__ import annotations

import time
from typing import Any

import pytest

import fanfare_spec
from tests.handlers.conftest import OTHER_KEY, created


def spec_example(path: str, method: str, status: str, name: str) -> Any:
    document = fanfare_spec.load("fanfare")
    response = document["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["examples"][name]["value"]


def static_list(client: Any, name: str = "List") -> dict[str, Any]:
    return created(client.post("/api/v1/audiences", json={"name": name, "type": "STATIC"}), 201)


def add_fault(client: Any, **rule: Any) -> dict[str, Any]:
    return created(client.post("/_mock/faults", json=rule), 201)


# -- Prefer -----------------------------------------------------------------------------------------


def test_prefer_code_answers_a_declared_error_in_the_family_envelope(client: Any) -> None:
    audience = static_list(client)
    forced = client.get(f"/api/v1/audiences/{audience['id']}", headers={"Prefer": "code=404"})
    assert forced.status_code == 404
    assert forced.json() == {"error": "Not found", "message": "Forced by Prefer: code=404"}
    conflict = client.post(f"/api/audiences/{audience['id']}/sync", headers={"Prefer": "code=409"})
    assert conflict.status_code == 409 and conflict.json()["message"] == "Forced by Prefer: code=409"
    for path in ("/api/v1/audiences", "/api/audiences"):
        failed = client.get(path, headers={"Prefer": "code=500"})
        assert failed.status_code == 500
        assert failed.json() == {
            "error": "Internal server error",
            "message": "Forced by Prefer: code=500",
            "requestId": failed.headers["x-request-id"],
        }
    unauthorized = client.get("/api/audiences", headers={"Prefer": "code=401"})
    assert unauthorized.status_code == 401 and unauthorized.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/audiences", headers={"Prefer": "code=403"}).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "code", "declared"),
    [
        ("get", "/api/v1/audiences", "409", "200, 400, 401, 500, 503"),
        ("get", "/api/audiences", "404", "200, 400, 401, 403, 500, 503"),
        ("get", "/api/v1/experiences/x", "403", "200, 400, 401, 404, 500, 503"),
        ("post", "/api/v1/audiences/x/sync", "418", "200, 400, 401, 404, 409, 500, 503"),
    ],
)
def test_prefer_code_not_declared_is_refused_naming_the_declared_codes(
    client: Any, method: str, path: str, code: str, declared: str
) -> None:
    response = client.request(method.upper(), path, headers={"Prefer": f"code={code}"})
    assert response.status_code == 400, response.text
    assert response.json() == {"error": response.json()["error"]}  # the plain business-400 envelope
    assert f"Prefer: code={code} is not declared" in response.json()["error"]
    assert f"it declares {declared}" in response.json()["error"]


def test_prefer_code_malformed_or_not_an_error(client: Any) -> None:
    for value in ("abc", "99", "4040", ""):
        response = client.get("/api/v1/audiences", headers={"Prefer": f"code={value}"})
        assert response.status_code == 400 and "not an HTTP status" in response.json()["error"]
    # Unknown preferences are ignored (RFC 7240), as is Prism's `dynamic`.
    assert (
        client.get("/api/v1/audiences", headers={"Prefer": "dynamic=true, return=minimal"}).status_code == 200
    )


def test_prefer_success_code_is_served_by_the_handler(client: Any) -> None:
    created_ = client.post(
        "/api/v1/audiences", json={"name": "Real", "type": "STATIC"}, headers={"Prefer": "code=201"}
    )
    assert created_.status_code == 201 and created_.json()["name"] == "Real"
    assert [a["name"] for a in client.get("/api/v1/audiences").json()] == ["Real"]
    wrong = client.post(
        "/api/v1/audiences", json={"name": "Nope", "type": "STATIC"}, headers={"Prefer": "code=200"}
    )
    assert wrong.status_code == 400 and "it declares 201, 400" in wrong.json()["error"]


def test_prefer_example_answers_the_documented_example(client: Any) -> None:
    in_progress = client.post("/api/audiences/anything/sync", headers={"Prefer": "example=inProgress"})
    assert in_progress.status_code == 409
    assert in_progress.json() == spec_example("/api/audiences/{audienceId}/sync", "post", "409", "inProgress")
    with_code = client.post(
        "/api/v1/audiences/anything/sync", headers={"Prefer": "code=400; example=noSource"}
    )
    assert with_code.status_code == 400
    assert with_code.json() == spec_example("/api/v1/audiences/{audienceId}/sync", "post", "400", "noSource")
    # RFC 7240 lets values be quoted; Prism's `code=..., example=...` form works too.
    quoted = client.post(
        "/api/v1/audiences/anything/sync", headers={"Prefer": 'code=400, example="notSynced"'}
    )
    assert quoted.json() == spec_example("/api/v1/audiences/{audienceId}/sync", "post", "400", "notSynced")


def test_prefer_example_that_does_not_exist_names_the_ones_that_do(client: Any) -> None:
    missing = client.post("/api/audiences/anything/sync", headers={"Prefer": "example=success"})
    assert missing.status_code == 400
    assert "no example of that name" in missing.json()["error"]
    assert (
        "400 notSynced, noSource" in missing.json()["error"] and "409 inProgress" in missing.json()["error"]
    )
    wrong_status = client.post(
        "/api/audiences/anything/sync", headers={"Prefer": "code=400, example=inProgress"}
    )
    assert wrong_status.status_code == 400 and "for 400" in wrong_status.json()["error"]
    none = client.get("/api/v1/audiences", headers={"Prefer": "example=vip"})
    assert none.status_code == 400
    assert "its named examples: 200 audiences; 401 missing, publishable" in none.json()["error"]


def test_prefer_comes_after_auth_and_validation_and_skips_the_control_plane(
    fanfare_mock: Any, client: Any
) -> None:
    anonymous = fanfare_mock.client_for(None)
    assert anonymous.get("/api/v1/audiences", headers={"Prefer": "code=500"}).status_code == 401
    invalid = client.post("/api/v1/audiences", json={"type": "STATIC"}, headers={"Prefer": "code=500"})
    assert invalid.status_code == 400 and invalid.json()["error"] == "Validation failed"
    assert client.get("/_mock/clock", headers={"Prefer": "code=500"}).status_code == 200
    assert client.get("/_mock/health", headers={"Prefer": "example=anything"}).status_code == 200


@pytest.mark.fanfare(keys=["sk_test_pinned_one"])
def test_an_unpinned_key_is_401_whatever_it_prefers(fanfare_mock: Any) -> None:
    stranger = fanfare_mock.client_for("sk_test_not_pinned")
    assert stranger.get("/api/v1/audiences", headers={"Prefer": "code=500"}).status_code == 401
    assert fanfare_mock.client.get("/api/v1/audiences", headers={"Prefer": "code=500"}).status_code == 500


def test_forced_answers_change_no_state(fanfare_mock: Any, client: Any, other: Any) -> None:
    audience = static_list(client, "Keep me")
    organizations = client.get("/_mock/health").json()["organizations"]
    before = client.get("/_mock/state").content
    assert (
        client.post(
            "/api/v1/audiences", json={"name": "Ghost", "type": "STATIC"}, headers={"Prefer": "code=500"}
        ).status_code
        == 500
    )
    assert (
        client.delete(f"/api/v1/audiences/{audience['id']}", headers={"Prefer": "code=404"}).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/audiences/{audience['id']}/sync", headers={"Prefer": "example=inProgress"}
        ).status_code
        == 409
    )
    add_fault(client, operationId="putV1AudiencesByAudienceId", status=500)
    assert client.put(f"/api/v1/audiences/{audience['id']}", json={"name": "Renamed"}).status_code == 500
    add_fault(client, status=500, secretKey=OTHER_KEY)
    assert other.post("/api/v1/audiences", json={"name": "Theirs", "type": "STATIC"}).status_code == 500
    assert client.get("/_mock/state").content == before
    assert client.get("/_mock/health").json()["organizations"] == organizations, "no tenant was created"
    assert client.get(f"/api/v1/audiences/{audience['id']}").json()["name"] == "Keep me"


# -- rules --------------------------------------------------------------------------------------------


def test_a_rule_status_must_be_declared_by_its_operation(client: Any) -> None:
    refused = client.post("/_mock/faults", json={"operationId": "getV1Audiences", "status": 409})
    assert refused.status_code == 400
    declared = "200, 400, 401, 500, 503"
    assert refused.json()["message"] == f"getV1Audiences does not declare 409; it declares {declared}"
    assert refused.json()["details"] == [{"field": "status", "message": "not declared by getV1Audiences"}]
    rule = add_fault(client, operationId="deleteV1ExperiencesById", status=409)
    assert rule == {
        "id": 1,
        "operationId": "deleteV1ExperiencesById",
        "tenant": None,
        "status": 409,
        "example": None,
        "error": None,
        "latencyMs": 0,
        "times": None,
        "remaining": None,
        "hits": 0,
    }
    assert client.get("/_mock/faults").json() == {"faults": [rule]}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"operationId": "getV1Audience", "status": 500},
            "Unknown operationId 'getV1Audience' (did you mean getV1Audiences",
        ),
        ({"operationId": "postMockReset", "status": 500}, "postMockReset is a control-plane operation"),
        ({"status": 418}, "No operation declares 418"),
        ({"example": "inProgress"}, "An example belongs to one operation"),
        (
            {"operationId": "postAudiencesByAudienceIdSync", "example": "nope"},
            "postAudiencesByAudienceIdSync has no example named 'nope'; "
            "its named examples: 200 syncStarted; 400 notSynced, noSource",
        ),
        ({"operationId": "getAudiences", "error": "Boom", "latencyMs": 5}, "error is the text of a status"),
    ],
)
def test_impossible_rules_are_refused_saying_why(client: Any, rule: dict[str, Any], message: str) -> None:
    response = client.post("/_mock/faults", json=rule)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_a_rule_without_a_body_or_effect_fails_validation(client: Any) -> None:
    for body in (
        {},
        {"operationId": "getV1Audiences"},
        {"status": 200},
        {"latencyMs": -1},
        {"times": 0, "status": 500},
        {"status": 500, "secretKey": "pk_test_x"},
        {"status": 500, "surprise": 1},
    ):
        response = client.post("/_mock/faults", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"] == "Validation failed"


def test_a_rule_without_operation_touches_only_the_operations_that_declare_its_status(client: Any) -> None:
    audience = static_list(client)
    rule = add_fault(client, status=409, times=1)
    assert client.get("/api/v1/audiences").status_code == 200, "getV1Audiences declares no 409"
    assert client.get(f"/api/v1/audiences/{audience['id']}").status_code == 200
    assert client.get("/_mock/faults").json()["faults"][0]["remaining"] == 1, "unaffected calls do not count"
    conflict = client.post(f"/api/v1/audiences/{audience['id']}/sync")
    assert conflict.status_code == 409
    assert conflict.json() == {"error": "Conflict", "message": f"Forced by fault rule {rule['id']}"}
    assert client.get("/_mock/faults").json() == {"faults": []}, "times=1 is spent"


def test_times_counts_down_then_the_rule_is_gone(client: Any) -> None:
    add_fault(client, operationId="getAudiences", status=500, times=2, error="Database unavailable")
    first = client.get("/api/audiences")
    assert first.status_code == 500 and first.json()["error"] == "Database unavailable"
    rule = client.get("/_mock/faults").json()["faults"][0]
    assert (rule["times"], rule["remaining"], rule["hits"]) == (2, 1, 1)
    assert client.get("/api/audiences").status_code == 500
    assert client.get("/api/audiences").status_code == 200
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_a_rule_without_times_lasts_until_removed(client: Any) -> None:
    rule = add_fault(client, operationId="getV1Audiences", status=500)
    for _ in range(3):
        assert client.get("/api/v1/audiences").status_code == 500
    assert client.get("/_mock/faults").json()["faults"][0]["hits"] == 3
    assert created(client.delete(f"/_mock/faults/{rule['id']}"), 200) == {"removed": 1}
    assert client.get("/api/v1/audiences").status_code == 200
    missing = client.delete(f"/_mock/faults/{rule['id']}")
    assert missing.status_code == 404 and missing.json() == {"error": "Fault rule not found"}


def test_latency_is_applied_in_real_time_not_on_the_virtual_clock(client: Any) -> None:
    add_fault(client, operationId="getV1Audiences", latencyMs=150, times=1)
    now = client.get("/_mock/clock").json()["now"]
    started = time.perf_counter()
    assert client.get("/api/v1/audiences").status_code == 200
    assert time.perf_counter() - started >= 0.15
    started = time.perf_counter()
    assert client.get("/api/v1/audiences").status_code == 200
    assert time.perf_counter() - started < 0.15, "times=1 was spent"
    assert client.get("/_mock/clock").json()["now"] == now


def test_latencies_add_up_and_the_first_status_answers(client: Any) -> None:
    add_fault(client, latencyMs=60)
    add_fault(client, operationId="getAudiences", latencyMs=60, status=500)
    add_fault(client, operationId="getAudiences", status=403)
    started = time.perf_counter()
    response = client.get("/api/audiences")
    assert time.perf_counter() - started >= 0.12
    assert response.status_code == 500
    faults = client.get("/_mock/faults").json()["faults"]
    assert [rule["hits"] for rule in faults] == [1, 1, 0]


def test_a_tenant_rule_does_not_touch_another_tenant(client: Any, other: Any) -> None:
    rule = add_fault(client, operationId="getV1Audiences", secretKey=OTHER_KEY, status=500)
    assert rule["tenant"] == "sk_test_…nant" and OTHER_KEY not in str(client.get("/_mock/faults").json())
    assert other.get("/api/v1/audiences").status_code == 500
    assert client.get("/api/v1/audiences").status_code == 200
    assert client.get("/api/audiences").status_code == 200, "another operation of the same tenant"


def test_a_rule_can_answer_a_documented_example(client: Any) -> None:
    rule = add_fault(client, operationId="postAudiencesByAudienceIdSync", example="inProgress")
    assert rule["status"] == 409 and rule["example"] == "inProgress"
    answer = client.post("/api/audiences/whatever/sync")
    assert answer.status_code == 409
    assert answer.json() == spec_example("/api/audiences/{audienceId}/sync", "post", "409", "inProgress")


def test_the_request_prefer_wins_over_status_rules_but_latency_still_applies(client: Any) -> None:
    add_fault(client, operationId="getV1Audiences", status=500, latencyMs=80, times=1)
    started = time.perf_counter()
    response = client.get("/api/v1/audiences", headers={"Prefer": "code=401"})
    assert response.status_code == 401 and time.perf_counter() - started >= 0.08
    assert client.get("/_mock/faults").json() == {"faults": []}, "the latency used the rule's one call"


def test_clear_and_reset_remove_rules(client: Any) -> None:
    add_fault(client, status=500)
    add_fault(client, status=500, secretKey=OTHER_KEY)
    assert created(client.delete("/_mock/faults"), 200) == {"removed": 2}
    assert client.get("/api/v1/audiences").status_code == 200
    add_fault(client, status=500)
    add_fault(client, status=500, secretKey=OTHER_KEY)
    client.post("/_mock/reset", json={"secretKey": OTHER_KEY})
    assert [rule["tenant"] for rule in client.get("/_mock/faults").json()["faults"]] == [None]
    client.post("/_mock/reset")
    assert client.get("/_mock/faults").json() == {"faults": []}
    assert client.get("/api/v1/audiences").status_code == 200


def test_the_upload_target_can_be_faulted_and_nothing_is_imported(fanfare_mock: Any, client: Any) -> None:
    fanfare_mock.jobs.progression("import", "immediate")
    audience = static_list(client)
    started = created(client.post(f"/api/v1/audiences/{audience['id']}/import"), 201)
    add_fault(client, operationId="putMockUploadsByImportId", status=413, times=1)
    upload = client.put(
        started["uploadUrl"],
        content=b"email\nada@example.com\n",
        headers={"content-type": "text/csv"},
    )
    assert upload.status_code == 413 and upload.json()["message"] == "Forced by fault rule 1"
    assert client.get(f"/api/audiences/{audience['id']}/import").json()["status"] == "PENDING"
    again = client.put(
        started["uploadUrl"],
        content=b"email\nada@example.com\n",
        headers={"content-type": "text/csv"},
    )
    assert again.status_code == 200 and again.json()["status"] == "COMPLETED"


def test_control_plane_operations_are_never_faulted(client: Any) -> None:
    add_fault(client, status=400)
    add_fault(client, latencyMs=1000)
    started = time.perf_counter()
    assert client.get("/_mock/faults").status_code == 200
    assert client.post("/_mock/clock", json={"advanceSeconds": 1}).status_code == 200
    assert client.delete("/_mock/faults").status_code == 200
    assert time.perf_counter() - started < 1

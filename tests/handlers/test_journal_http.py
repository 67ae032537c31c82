"""The request journal over HTTP: every request (routed or not) with its operation, outcome, tenant
(redacted), bodies and timing; the filters of `GET /_mock/journal`; the ring; and the access log line that
is made from the same entry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mock_server.app import create_app
from mock_server.client import InProcessClient
from mock_server.pytest_plugin import DEFAULT_KEY
from tests.handlers.conftest import OTHER_KEY, created


def journal(client: Any, **query: Any) -> list[dict[str, Any]]:
    return created(client.get("/_mock/journal", params=query), 200)["entries"]  # type: ignore[no-any-return]


def test_every_request_is_journaled_with_its_operation_and_outcome(fanfare_mock: Any, client: Any) -> None:
    anonymous = fanfare_mock.client_for(None)
    publishable = fanfare_mock.client_for("pk_test_publishable_1234")
    audience = created(client.post("/api/v1/audiences", json={"name": "VIP", "type": "STATIC"}), 201)
    client.get(f"/api/audiences/{audience['id']}", params={"include": "rules"})
    anonymous.get("/api/v1/audiences")
    publishable.get("/api/v1/audiences")
    client.post("/api/v1/audiences", json={"type": "STATIC"})
    client.post("/api/v1/audiences", content=b"name=x", headers={"content-type": "text/plain"})
    client.get("/api/v1/audiences/unknown-id")
    client.get("/api/v1/nowhere")
    client.delete("/api/v1/audiences")
    client.options(
        "/api/v1/audiences",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
    )
    entries = journal(client)
    seen = [
        (e["method"], e["path"], e["operationId"], e["status"], e["outcome"], e["family"]) for e in entries
    ]
    assert seen == [
        ("POST", "/api/v1/audiences", "postV1Audiences", 201, "ok", "v1"),
        ("GET", f"/api/audiences/{audience['id']}", "getAudiencesByAudienceId", 200, "ok", "api"),
        ("GET", "/api/v1/audiences", "getV1Audiences", 401, "unauthenticated", "v1"),
        ("GET", "/api/v1/audiences", "getV1Audiences", 401, "unauthenticated", "v1"),
        ("POST", "/api/v1/audiences", "postV1Audiences", 400, "invalid", "v1"),
        ("POST", "/api/v1/audiences", "postV1Audiences", 415, "unsupported_media_type", "v1"),
        ("GET", "/api/v1/audiences/unknown-id", "getV1AudiencesByAudienceId", 404, "domain_error", "v1"),
        ("GET", "/api/v1/nowhere", None, 404, "not_found", "v1"),
        ("DELETE", "/api/v1/audiences", None, 405, "method_not_allowed", "v1"),
        ("OPTIONS", "/api/v1/audiences", None, 204, "preflight", "v1"),
    ]
    assert [e["seq"] for e in entries] == list(range(1, 11))
    first = entries[0]
    assert (
        first["tenant"] == "sk_test_…ture"
        and first["request"]["headers"]["authorization"] == "Bearer sk_test_…ture"
    )
    assert first["request"]["body"] == {
        "mediaType": "application/json",
        "size": len(b'{"name":"VIP","type":"STATIC"}'),
        "truncated": False,
        "content": {"name": "VIP", "type": "STATIC"},
    }
    assert first["response"]["body"]["content"] == audience
    assert first["at"] == "2025-01-01T00:00:00Z" and first["realAt"].endswith("Z") and first["durationMs"] > 0
    assert first["requestId"].startswith("req_") and first["forced"] is None and first["delayMs"] == 0
    assert entries[1]["query"] == "include=rules"
    assert entries[2]["tenant"] is None and entries[2]["response"]["headers"] == {
        "WWW-Authenticate": "Bearer"
    }
    assert entries[3]["request"]["headers"]["authorization"] == "Bearer pk_…1234"
    assert entries[4]["response"]["body"]["content"]["details"][0]["field"] == "name"
    assert entries[8]["response"]["headers"] == {"Allow": "GET, POST"}
    assert entries[9]["response"]["headers"]["access-control-allow-origin"] == "http://localhost:5173"
    assert DEFAULT_KEY not in json.dumps(entries, ensure_ascii=False)


def test_secret_keys_never_appear_in_full(client: Any) -> None:
    key = OTHER_KEY
    client.post("/_mock/reset", json={"secretKey": key})
    client.post("/_mock/faults", json={"status": 500, "secretKey": key, "error": f"down for {key}"})
    client.get(f"/api/v1/audiences/{key}", headers={"Prefer": f"example={key}"})
    client.get("/api/v1/audiences", params={"secretKey": key})
    client.post("/_mock/jobs/sync/outcomes", json={"secretKey": key, "outcome": "nope"})
    text = client.get("/_mock/journal").text
    assert key not in text and DEFAULT_KEY not in text
    assert text.count("sk_test_…nant") >= 5
    entries = journal(client)
    assert entries[2]["path"] == "/api/v1/audiences/sk_test_…nant"
    assert entries[2]["request"]["headers"]["prefer"] == "example=sk_test_…nant"
    assert entries[3]["query"] == "secretKey=sk_test_…nant"


def test_filters_combine(client: Any, other: Any) -> None:
    audience = created(client.post("/api/v1/audiences", json={"name": "Mine", "type": "STATIC"}), 201)
    client.get(f"/api/v1/audiences/{audience['id']}")
    other.get(f"/api/v1/audiences/{audience['id']}")
    other.get("/api/audiences")
    client.get("/api/v1/audiences", headers={"Prefer": "code=500"})
    client.get("/nope")

    def ops(**query: Any) -> list[str | None]:
        return [e["operationId"] for e in journal(client, **query)]

    assert ops(operationId="getV1AudiencesByAudienceId") == ["getV1AudiencesByAudienceId"] * 2
    assert ops(secretKey=OTHER_KEY) == ["getV1AudiencesByAudienceId", "getAudiences"]
    assert ops(secretKey=DEFAULT_KEY, status="2xx") == ["postV1Audiences", "getV1AudiencesByAudienceId"]
    assert ops(status="404") == ["getV1AudiencesByAudienceId", None]
    assert ops(status="5XX") == ["getV1Audiences"] == ops(forced="true")
    assert len(ops(forced="false", path="/api")) == 4
    assert ops(method="post") == ["postV1Audiences"]
    assert ops(path="/api/audiences") == ["getAudiences"]
    assert ops(outcome="not_found") == [None]
    assert ops(limit=2, path="/api") == ["getAudiences", "getV1Audiences"], "the newest, oldest first"
    assert ops(after=1, limit=2) == ["getV1AudiencesByAudienceId", "getV1AudiencesByAudienceId"]
    # Polling: `after` the latest seq seen gives what came since (the polls themselves are not kept).
    latest = client.get("/_mock/journal", params={"limit": 1}).json()["latestSeq"]
    assert ops(after=latest) == []
    client.get("/api/v1/audiences")
    assert ops(after=latest) == ["getV1Audiences"]
    for bad in (
        {"status": "45"},
        {"status": "abc"},
        {"limit": 0},
        {"limit": 10_001},
        {"secretKey": "pk_x"},
        {"after": -1},
        {"forced": "maybe"},
    ):
        assert client.get("/_mock/journal", params=bad).status_code == 400, bad


def test_bodies_are_truncated_and_csv_uploads_summarized(fanfare_mock: Any, client: Any) -> None:
    fanfare_mock.jobs.progression("import", "immediate")
    audience = created(client.post("/api/v1/audiences", json={"name": "Big", "type": "STATIC"}), 201)
    everyone = created(
        client.post(
            "/api/v1/audiences",
            json={
                "name": "All",
                "type": "DYNAMIC",
                "rules": [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [0]}],
            },
        ),
        201,
    )
    page = client.get(f"/api/v1/audiences/{everyone['id']}/members", params={"first": 100})
    assert len(page.content) > 4096
    entry = journal(client, operationId="getV1AudiencesByAudienceIdMembers")[0]
    body = entry["response"]["body"]
    assert body["truncated"] is True and body["size"] == len(page.content)
    assert isinstance(body["content"], str) and len(body["content"].encode()) <= 4096
    assert page.text.startswith(body["content"])
    started = created(client.post(f"/api/v1/audiences/{audience['id']}/import"), 201)
    rows = "".join(f"user{i}@example.com,Person {i}\n" for i in range(500))
    csv = f"email,fullName\n{rows}"
    assert (
        client.put(
            started["uploadUrl"], content=csv.encode(), headers={"content-type": "text/csv"}
        ).status_code
        == 200
    )
    upload = journal(client, operationId="putMockUploadsByImportId")[0]["request"]["body"]
    assert upload == {
        "mediaType": "text/csv",
        "size": len(csv),
        "truncated": True,
        "content": None,
        "summary": f"CSV upload: {len(csv):,} bytes, 501 lines; header: email,fullName",
    }


def test_forced_answers_and_latency_are_marked(client: Any) -> None:
    rule = created(
        client.post(
            "/_mock/faults", json={"operationId": "getAudiences", "status": 500, "latencyMs": 20, "times": 1}
        ),
        201,
    )
    client.get("/api/audiences")
    client.get("/api/v1/audiences", headers={"Prefer": "code=401"})
    client.get("/api/v1/audiences", headers={"Prefer": "code=409"})
    faulted, preferred, refused = journal(client, path="/api")
    assert faulted["forced"] == {"by": "fault", "ruleId": rule["id"]} and faulted["delayMs"] == 20
    assert faulted["durationMs"] >= 20 and faulted["status"] == 500 and faulted["outcome"] == "ok"
    assert preferred["forced"] == {"by": "prefer", "preference": "code=401"} and preferred["status"] == 401
    assert preferred["request"]["headers"]["prefer"] == "code=401"
    assert refused["forced"] is None and (refused["status"], refused["outcome"]) == (400, "domain_error")


def test_clear_and_the_bounded_ring() -> None:
    app = create_app(seed=1, consumers=20, journal_size=5)
    with InProcessClient(app, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as client:
        for _ in range(8):
            client.get("/api/v1/audiences")
        page = client.get("/_mock/journal").json()
        assert [e["seq"] for e in page["entries"]] == [4, 5, 6, 7, 8]
        assert (page["capacity"], page["dropped"], page["latestSeq"]) == (5, 3, 8)
        client.get("/api/v1/audiences")  # seq 9 pushes seq 4 out (reading the journal is not kept)
        assert [e["seq"] for e in journal(client, after=2)] == [5, 6, 7, 8, 9]
        assert created(client.delete("/_mock/journal"), 200) == {"removed": 5}
        page = client.get("/_mock/journal").json()
        assert [e["operationId"] for e in page["entries"]] == ["deleteMockJournal"]
        assert (page["dropped"], page["latestSeq"]) == (0, 10), "seq keeps counting after a clear"
        client.get("/api/v1/audiences")
        assert [e["seq"] for e in journal(client)] == [10, 11]


def test_a_zero_journal_keeps_nothing_but_still_answers() -> None:
    app = create_app(seed=1, consumers=20, journal_size=0)
    with InProcessClient(app, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as client:
        client.get("/api/v1/audiences")
        assert client.get("/_mock/journal").json() == {
            "entries": [],
            "latestSeq": 0,
            "capacity": 0,
            "dropped": 0,
        }


def test_the_access_log_line_is_made_from_the_journal_entry(capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app(seed=1, consumers=20, log_requests=True)
    with InProcessClient(app, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as client:
        client.get("/api/v1/audiences", params={"x": "1"})
        client.get("/api/v1/audiences", headers={"Prefer": "code=500"})
        client.get("/nope")
        client.options("/api/v1/audiences")
    lines = capsys.readouterr().err.splitlines()
    assert lines == [entry.log_line() for entry in app.state.journal]
    assert (
        lines[0].startswith("GET /api/v1/audiences?x=1 200 ")
        and " getV1Audiences sk_test_…ture req_" in lines[0]
    )
    assert " forced:prefer(code=500) " in lines[1]
    assert lines[2].startswith("GET /nope 404 ") and " - - not_found req_" in lines[2]
    assert lines[3].startswith("OPTIONS /api/v1/audiences 204 ") and " preflight " in lines[3]
    assert DEFAULT_KEY not in "\n".join(lines)


def test_reading_the_journal_is_not_recorded() -> None:
    """Polling the journal must not fill it with its own reads; changing it (DELETE) is recorded."""
    app = create_app(seed=1, consumers=20)
    with InProcessClient(app, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as client:
        client.get("/api/v1/audiences")
        for _ in range(5):
            page = client.get("/_mock/journal", params={"after": 0}).json()
        assert [e["operationId"] for e in page["entries"]] == ["getV1Audiences"]
        assert page["latestSeq"] == 1
        client.head("/_mock/journal")
        client.delete("/_mock/journal")
        assert [e["operationId"] for e in journal(client)] == ["deleteMockJournal"]


def test_reads_of_the_control_plane_and_the_pages_are_not_journaled_its_writes_are(client: Any) -> None:
    """The dashboard polls organizations, the clock, faults and the journal every few seconds, and a
    health checker polls health: none of it may push the Admin API traffic out of the journal."""
    control = client
    created(control.post("/api/v1/audiences", json={"name": "A", "type": "STATIC"}), 201)
    for path in (
        "/",
        "/_mock",
        "/_mock/",
        "/_mock/organizations",
        "/_mock/clock",
        "/_mock/faults",
        "/_mock/health",
        "/_mock/scenario",
        "/docs",
        "/openapi.json",
        "/_mock/openapi.json",
    ):
        assert control.get(path).status_code == 200, path
    assert control.post("/_mock/clock", json={"advanceSeconds": 5}).status_code == 200
    seen = [(e["method"], e["path"]) for e in journal(control)]
    assert seen == [("POST", "/api/v1/audiences"), ("POST", "/_mock/clock")]

"""The fixture handles `.faults` and `.journal`, in-process (`fanfare_mock`) and on the live server
(`fanfare_live`, real HTTP on a free port), and the live server's isolation between tests."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mock_server.domain.kernel import Invalid

OTHER = "sk_test_plugin_other"


def test_in_process_faults_and_journal(fanfare_mock: Any) -> None:
    client = fanfare_mock.client
    rule = fanfare_mock.faults.add("getV1Audiences", status=500, times=1)
    assert client.get("/api/v1/audiences").status_code == 500
    assert client.get("/api/v1/audiences").status_code == 200
    assert fanfare_mock.faults.list() == []
    assert rule.hits == 1 and rule.remaining == 0
    entries = fanfare_mock.journal.entries("getV1Audiences")
    assert [(e.status, e.outcome) for e in entries] == [(500, "ok"), (200, "ok")]
    assert entries[0].forced == {"by": "fault", "ruleId": rule.id} and entries[1].forced is None
    assert entries[0].response_body["message"] == f"Forced by fault rule {rule.id}"
    created = client.post("/api/v1/audiences", json={"name": "Seen", "type": "STATIC"})
    last = fanfare_mock.journal.last()
    assert (last.method, last.path, last.operation_id, last.status) == (
        "POST",
        "/api/v1/audiences",
        "postV1Audiences",
        201,
    )
    assert last.request_body == {"name": "Seen", "type": "STATIC"} and last.response_body == created.json()
    assert last.tenant == "sk_test_…ture" and fanfare_mock.key not in repr(last.to_json())
    assert last.request_headers["content-type"] == "application/json" and last.duration_ms > 0
    assert fanfare_mock.journal.count(status="2xx") == 2 and len(fanfare_mock.journal) == 3
    assert fanfare_mock.journal.last(status=500) == entries[0]
    assert fanfare_mock.journal.clear() == 3 and len(fanfare_mock.journal) == 0
    with pytest.raises(LookupError, match="no entry matching operation_id='getV1Audiences'"):
        fanfare_mock.journal.last("getV1Audiences")


def test_in_process_rules_are_checked_and_scoped(fanfare_mock: Any) -> None:
    declared = "200, 400, 401, 500, 503"
    with pytest.raises(Invalid, match=f"getV1Audiences does not declare 409; it declares {declared}"):
        fanfare_mock.faults.add("getV1Audiences", status=409)
    with pytest.raises(Invalid, match="A rule needs status, example or latencyMs"):
        fanfare_mock.faults.add("getV1Audiences")
    other = fanfare_mock.client_for(OTHER)
    rule = fanfare_mock.faults.add(status=500, key=OTHER)
    assert rule.tenant == "sk_test_…ther" and OTHER not in repr(fanfare_mock.faults.list()), (
        "keys are not kept"
    )
    assert other.get("/api/v1/audiences").status_code == 500
    assert fanfare_mock.client.get("/api/v1/audiences").status_code == 200
    assert [e.status for e in fanfare_mock.journal.entries(key=OTHER)] == [500]
    assert [e.status for e in fanfare_mock.journal.entries(key=fanfare_mock.key)] == [200]
    assert fanfare_mock.faults.remove(rule.id) is True and fanfare_mock.faults.remove(rule.id) is False
    assert other.get("/api/v1/audiences").status_code == 200
    fanfare_mock.faults.add(latency_ms=60)
    started = time.perf_counter()
    fanfare_mock.client.get("/api/audiences")
    assert time.perf_counter() - started >= 0.06 and fanfare_mock.journal.last().delay_ms == 60
    fanfare_mock.reset()
    assert fanfare_mock.faults.list() == [], "reset drops the rules"
    assert len(fanfare_mock.journal) == 4, "the journal outlives a reset"


def test_in_process_client_stays_the_handle_tenant(fanfare_mock: Any) -> None:
    other = fanfare_mock.client_for(OTHER)
    other.get("/api/v1/audiences")
    fanfare_mock.client.get("/api/v1/audiences")
    assert [e.tenant for e in fanfare_mock.journal] == ["sk_test_…ther", "sk_test_…ture"]


def test_live_faults_and_journal_over_real_http(fanfare_live: Any) -> None:
    base, headers = fanfare_live.base_url, fanfare_live.headers
    fanfare_live.faults.add("postV1Audiences", status=500, times=1)
    fanfare_live.faults.add("getAudiences", status=500)  # left in place: the next test proves the reset
    body = {"name": "Live", "type": "STATIC"}
    assert httpx.post(f"{base}/api/v1/audiences", headers=headers, json=body).status_code == 500
    created = httpx.post(f"{base}/api/v1/audiences", headers=headers, json=body)
    assert created.status_code == 201
    entries = fanfare_live.journal.entries("postV1Audiences")
    assert [e.status for e in entries] == [500, 201]
    assert (
        entries[1].response_body == created.json()
        and entries[1].request_id == created.headers["x-request-id"]
    )
    forced = httpx.get(
        f"{base}/api/v1/audiences/{created.json()['id']}", headers={**headers, "Prefer": "code=404"}
    )
    assert forced.status_code == 404 and fanfare_live.journal.last().forced == {
        "by": "prefer",
        "preference": "code=404",
    }
    page = httpx.get(f"{base}/_mock/journal", params={"operationId": "postV1Audiences"}).json()
    assert [e["status"] for e in page["entries"]] == [500, 201]
    assert fanfare_live.client.get("/api/audiences").status_code == 500


def test_live_starts_each_test_without_rules_or_journal(fanfare_live: Any) -> None:
    assert fanfare_live.faults.list() == [] and len(fanfare_live.journal) == 0
    assert fanfare_live.client.get("/api/audiences").status_code == 200
    fanfare_live.faults.add("getV1Audiences", latency_ms=100, times=1)
    started = time.perf_counter()
    assert fanfare_live.client_for(OTHER).get("/api/v1/audiences").status_code == 200
    assert time.perf_counter() - started >= 0.1
    assert [e.tenant for e in fanfare_live.journal] == ["sk_test_…ture", "sk_test_…ther"]

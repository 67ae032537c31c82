"""CSV imports through the upload URL, ESP list imports and sync, over HTTP in both families."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.handlers.conftest import created

GOOD_AND_BAD = (
    "email,phone,externalId,fullName\n"
    "ada@example.com,+14155550100,,Ada Lovelace\n"
    "not-an-email,,,Bad Email\n"
    "grace@example.com,,ext-2,Grace Hopper\n"
    ",,,No Identifier\n"
    "ADA@example.com,,,Ada Again\n"
    ",+14155550199,,Phone Only\n"
    ",12,,Bad Phone\n"
)


def static_list(client: Any) -> dict[str, Any]:
    return created(client.post("/api/v1/audiences", json={"name": "Imported", "type": "STATIC"}), 201)


def upload(client: Any, url: str, text: str) -> Any:
    return client.put(
        httpx.URL(url).raw_path.decode(), content=text.encode(), headers={"content-type": "text/csv"}
    )


def test_a_csv_of_good_and_bad_rows_accounts_for_every_row(client: Any, fanfare_mock: Any) -> None:
    fanfare_mock.jobs.progression("import", "immediate")
    audience = static_list(client)
    started = created(client.post(f"/api/v1/audiences/{audience['id']}/import"), 201)
    assert started["status"] == "PENDING" and started["uploadUrl"].startswith(
        f"http://fanfare.test/_mock/uploads/{started['id']}?signature="
    )
    assert started["s3Key"].startswith("imports/")
    assert upload(client, started["uploadUrl"], GOOD_AND_BAD).status_code == 200
    done = created(client.get(f"/api/audiences/{audience['id']}/import"), 200)
    assert done["status"] == "COMPLETED"
    assert done["totalConsumers"] == 7
    assert done["processedConsumers"] + done["errorCount"] == done["totalConsumers"]
    assert done["errorCount"] == 3 and {e["row"] for e in done["errors"]} == {3, 5, 8}
    members = client.get(f"/api/v1/audiences/{audience['id']}/members", params={"first": 100}).json()["data"]
    emails = sorted(m["email"] or "" for m in members)
    assert emails == ["", "ada@example.com", "grace@example.com"], "Ada's duplicate row updated, not added"
    guide = created(client.get(f"/api/v1/audiences/{audience['id']}", params={"include": "imports"}), 200)
    assert guide["imports"][0]["status"] == "SUCCESS"


def test_an_import_progresses_after_reads_and_a_forced_failure_applies_nothing(
    client: Any, fanfare_mock: Any
) -> None:
    audience = static_list(client)
    fanfare_mock.jobs.force("import", "fail", reason="Upstream storage unavailable")
    started = created(client.post(f"/api/audiences/{audience['id']}/import"), 200)
    upload(client, started["uploadUrl"], GOOD_AND_BAD)
    statuses = [client.get(f"/api/audiences/{audience['id']}/import").json()["status"] for _ in range(3)]
    assert statuses[0] == "PROCESSING" and statuses[-1] == "FAILED"
    assert client.get(f"/api/audiences/{audience['id']}/count").json()["count"] == 0


def test_a_second_upload_is_a_conflict_and_an_unknown_upload_403(client: Any) -> None:
    audience = static_list(client)
    started = created(client.post(f"/api/v1/audiences/{audience['id']}/import"), 201)
    assert upload(client, started["uploadUrl"], "email\na@example.com\n").status_code == 200
    assert upload(client, started["uploadUrl"], "email\nb@example.com\n").status_code == 409
    assert (
        client.put(
            "/_mock/uploads/nope?signature=x", content=b"email\n", headers={"content-type": "text/csv"}
        ).status_code
        == 403  # an unknown import and a wrong signature look alike
    )


def test_csv_without_an_identifier_column_fails_clearly(client: Any, fanfare_mock: Any) -> None:
    fanfare_mock.jobs.progression("import", "immediate")
    audience = static_list(client)
    started = created(client.post(f"/api/audiences/{audience['id']}/import"), 200)
    upload(client, started["uploadUrl"], "fullName\nAda\n")
    done = client.get(f"/api/audiences/{audience['id']}/import").json()
    assert done["status"] == "FAILED" and done["errors"][0]["row"] == 0


@pytest.mark.parametrize("mode", ["immediate", "afterReads", "afterSeconds"])
def test_klaviyo_sync_reaches_success_under_each_policy(client: Any, fanfare_mock: Any, mode: str) -> None:
    fanfare_mock.jobs.progression("sync", mode, reads=3, seconds=120)
    result = created(
        client.post("/api/v1/audiences/import/klaviyo", json={"listIds": ["YwxYPP", "nope"]}), 200
    )
    assert result["skipped"] == [{"listId": "nope", "reason": "List not found", "existingAudienceId": None}]
    source_id = result["imported"][0]["syncSourceId"]
    audience = next(
        a for a in client.get("/api/v1/audiences").json() if a["primarySyncSourceId"] == source_id
    )
    path = f"/api/v1/audiences/{audience['id']}"
    if mode == "afterSeconds":
        assert client.get(f"{path}/status").json()["syncStatus"] == "PENDING"
        fanfare_mock.clock.advance(121)
    seen = [client.get(f"{path}/status").json() for _ in range(3)]
    assert seen[-1]["syncStatus"] == "SUCCESS" and seen[-1]["lastSyncedAt"]
    count = client.get(f"{path}/count").json()
    assert count["source"] == "sync_source" and count["count"] > 0
    again = created(client.post("/api/v1/audiences/import/klaviyo", json={"listIds": ["YwxYPP"]}), 200)
    assert again["skipped"] == [
        {"listId": "YwxYPP", "reason": "Already synced", "existingAudienceId": audience["id"]}
    ]


def test_resync_rules(client: Any, fanfare_mock: Any) -> None:
    static = static_list(client)
    refused = client.post(f"/api/v1/audiences/{static['id']}/sync")
    assert refused.status_code == 400 and "not a synced list" in refused.text
    bare = created(client.post("/api/audiences", json={"name": "Synced", "type": "SYNCED_LIST"}), 200)
    assert "no sync source" in client.post(f"/api/audiences/{bare['id']}/sync").text
    fanfare_mock.jobs.progression("sync", "afterReads", reads=5)
    result = created(
        client.post("/api/audiences/import/mailchimp", json={"listIds": [_first_list(fanfare_mock)]}), 200
    )
    audience_id = next(
        a["id"]
        for a in client.get("/api/v1/audiences").json()
        if a["primarySyncSourceId"] == result["imported"][0]["syncSourceId"]
    )
    busy = client.post(f"/api/audiences/{audience_id}/sync")
    assert busy.status_code == 409 and busy.json() == {"error": "Sync already in progress"}
    fanfare_mock.jobs.force("sync", "fail", reason="Klaviyo said no")
    for _ in range(5):
        client.get(f"/api/audiences/{audience_id}/status")
    restarted = created(client.post(f"/api/audiences/{audience_id}/sync"), 200)
    assert restarted == {
        "success": True,
        "syncSourceId": result["imported"][0]["syncSourceId"],
        "status": "PENDING",
    }
    statuses = [client.get(f"/api/audiences/{audience_id}/status").json()["syncStatus"] for _ in range(5)]
    assert statuses[-1] == "FAILED"


def _first_list(fanfare_mock: Any) -> str:
    from mock_server.domain.sync import Vendor

    org = fanfare_mock.state.world.organization_for_key(fanfare_mock.key)
    return str(org.sync.catalogue.lists(Vendor.MAILCHIMP)[0].id)


def test_a_members_page_shows_a_consumer_changed_since_it_was_last_rendered(
    client: Any, fanfare_mock: Any
) -> None:
    # Rendered consumers are remembered between pages; a change to any consumer must show at once.
    fanfare_mock.jobs.progression("import", "immediate")
    audience = static_list(client)
    path = f"/api/v1/audiences/{audience['id']}"
    first = created(client.post(f"{path}/import"), 201)
    upload(client, first["uploadUrl"], "email,fullName\nada@example.com,Ada Lovelace\n")
    assert client.get(f"{path}/members").json()["data"][0]["fullName"] == "Ada Lovelace"
    second = created(client.post(f"{path}/import"), 201)
    upload(client, second["uploadUrl"], "email,fullName\nada@example.com,Ada King\n")
    assert client.get(f"{path}/members").json()["data"][0]["fullName"] == "Ada King"
    assert client.get(f"/api/audiences/{audience['id']}/members").json()["data"][0]["fullName"] == "Ada King"


def test_rows_that_used_to_crash_the_importer_are_row_errors(client: Any, fanfare_mock: Any) -> None:
    # Found by the importer's property tests: nested metadata objects, very deep metadata and a bare
    # carriage return inside a quoted row raised (a 500) instead of being reported as row errors.
    fanfare_mock.jobs.progression("import", "immediate")
    audience = static_list(client)
    started = created(client.post(f"/api/v1/audiences/{audience['id']}/import"), 201)
    deep = "[" * 5000 + "]" * 5000
    text = (
        "email,metadata\n"
        "ok@example.com,\n"
        'nested@example.com,"{""a"": {""b"": 1}}"\n'
        f'deep@example.com,"{{""a"": {deep}}}"\n'
        'cr@example.com,"x\ry"z\n'
    )
    response = upload(client, started["uploadUrl"], text)
    assert response.status_code == 200, response.text
    done = created(client.get(f"/api/audiences/{audience['id']}/import"), 200)
    assert done["processedConsumers"] + done["errorCount"] == done["totalConsumers"]
    assert {e["row"] for e in done["errors"]} >= {3, 4}
    emails = [m["email"] for m in client.get(f"/api/v1/audiences/{audience['id']}/members").json()["data"]]
    assert "ok@example.com" in emails and "nested@example.com" not in emails


def test_a_guide_client_sees_its_import_finish_by_reading_the_audience(client: Any) -> None:
    # The guide has no GET .../import: reading the audience (imports included by default) is how a guide
    # client watches an import, so those reads must move an `afterReads` job (the default policy).
    audience = static_list(client)
    path = f"/api/v1/audiences/{audience['id']}"
    started = created(client.post(f"{path}/import"), 201)
    upload(client, started["uploadUrl"], "email\nada@example.com\n")
    statuses = [client.get(path).json()["imports"][0]["status"] for _ in range(3)]
    assert statuses[0] == "PROCESSING" and statuses[-1] == "SUCCESS"


def test_an_upload_over_10_mb_is_413_and_changes_nothing(client: Any) -> None:
    audience = static_list(client)
    started = created(client.post(f"/api/v1/audiences/{audience['id']}/import"), 201)
    row = "someone@example.com\n"
    text = "email\n" + row * (10 * 1024 * 1024 // len(row) + 10)
    response = upload(client, started["uploadUrl"], text)
    assert response.status_code == 413, response.text
    assert "10 MB" in response.json()["error"]
    assert client.get(f"/api/audiences/{audience['id']}/count").json()["count"] == 0


@pytest.mark.parametrize("family", ["/api/v1", "/api"])
def test_status_and_resync_agree_on_a_sync_in_progress(client: Any, fanfare_mock: Any, family: str) -> None:
    """While a sync is pending, `/status` says `inProgress: true` and a re-sync is the 409; once it is
    done both say it is not (issue: the status said `inProgress: false` beside the 409)."""
    fanfare_mock.jobs.progression("sync", "afterSeconds", seconds=120)
    result = created(client.post("/api/v1/audiences/import/klaviyo", json={"listIds": ["YwxYPP"]}), 200)
    source_id = result["imported"][0]["syncSourceId"]
    audience = next(
        a for a in client.get("/api/v1/audiences").json() if a["primarySyncSourceId"] == source_id
    )
    path = f"{family}/audiences/{audience['id']}"

    def agree(in_progress: bool) -> None:
        status = client.get(f"{path}/status").json()
        assert (status["syncStatus"] == "PENDING", status["inProgress"]) == (in_progress, in_progress), status

    agree(True)
    assert client.post(f"{path}/sync").status_code == 409
    agree(True)
    fanfare_mock.clock.advance(121)
    agree(False)
    assert client.post(f"{path}/sync").status_code == 200
    agree(True)

"""Which reads a replica answers without a command: an audience read looks at that audience only, so a
tenant whose other audiences are hot (an import or a sync in progress, a stale dynamic set) still reads a
quiet audience as a pure read; and each such read, run against that tenant, leaves the world as it was."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mock_server.domain.world import key_hash
from mock_server.store.reads import AUDIENCE_READS, _quiet, _quiet_audience
from tests.handlers.conftest import created

#: Each audience read by path; `{a}` is the audience read.
PATHS = {
    "getV1AudiencesByAudienceId": "/api/v1/audiences/{a}",
    "getAudiencesByAudienceId": "/api/audiences/{a}",
    "getV1AudiencesByAudienceIdMembers": "/api/v1/audiences/{a}/members",
    "getAudiencesByAudienceIdMembers": "/api/audiences/{a}/members",
    "getV1AudiencesByAudienceIdCount": "/api/v1/audiences/{a}/count",
    "getAudiencesByAudienceIdCount": "/api/audiences/{a}/count",
    "getV1AudiencesByAudienceIdStatus": "/api/v1/audiences/{a}/status",
    "getAudiencesByAudienceIdStatus": "/api/audiences/{a}/status",
}
RULES = [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [1]}]


def test_every_audience_read_has_a_path_here() -> None:
    assert set(PATHS) == AUDIENCE_READS


def upload(client: Any, audience_id: str, csv: str) -> None:
    started = created(client.post(f"/api/v1/audiences/{audience_id}/import"), 201)
    path = httpx.URL(started["uploadUrl"]).raw_path.decode()
    sent = client.put(path, content=csv.encode(), headers={"content-type": "text/csv"})
    assert sent.status_code == 200, sent.text


def hot_tenant(client: Any) -> dict[str, str]:
    """A tenant with a dynamic audience `quiet` (materialized), and beside it a static list with an
    import in progress, a synced list with its sync in progress and a stale dynamic audience."""

    def create(name: str, kind: str) -> str:
        body = {"name": name, "type": kind, **({"rules": RULES} if kind == "DYNAMIC" else {})}
        return str(created(client.post("/api/v1/audiences", json=body), 201)["id"])

    quiet, stale, listed = create("Q", "DYNAMIC"), create("S", "DYNAMIC"), create("L", "STATIC")
    synced = created(client.post("/api/v1/audiences/import/klaviyo", json={"listIds": ["YwxYPP"]}), 200)
    source = synced["imported"][0]["syncSourceId"]
    listing = client.get("/api/v1/audiences").json()  # (a listing refreshes every stale set)
    synced_id = next(a["id"] for a in listing if a["primarySyncSourceId"] == source)
    upload(client, listed, "email\nnew-one@example.com\n")  # the table grows; the import is in progress
    assert client.get(f"/api/v1/audiences/{quiet}").status_code == 200  # materialized again; S stays stale
    return {"quiet": quiet, "stale": stale, "listed": listed, "synced": synced_id}


def tenant(fanfare_mock: Any) -> Any:
    return fanfare_mock.state.world.existing(key_hash(fanfare_mock.key))


def world(fanfare_mock: Any) -> bytes:
    return json.dumps(fanfare_mock.state.export(), sort_keys=True).encode()


@pytest.fixture
def hot(fanfare_mock: Any) -> dict[str, str]:
    fanfare_mock.clock.set("2025-06-01T00:00:00Z")
    ids = hot_tenant(fanfare_mock.client)
    org = tenant(fanfare_mock)
    assert not _quiet(org), "the tenant as a whole is hot"
    return ids


@pytest.mark.parametrize("operation", sorted(PATHS))
def test_an_audience_read_beside_hot_audiences_is_pure_and_moves_nothing(
    fanfare_mock: Any, hot: dict[str, str], operation: str
) -> None:
    org = tenant(fanfare_mock)
    assert _quiet_audience(org, hot["quiet"])
    before = world(fanfare_mock)
    response = fanfare_mock.client.get(PATHS[operation].format(a=hot["quiet"]))
    assert response.status_code == 200, response.text
    assert world(fanfare_mock) == before


@pytest.mark.parametrize("which", ["stale", "listed", "synced"])
def test_a_hot_audience_is_not_a_pure_read_and_reading_it_moves_the_world(
    fanfare_mock: Any, hot: dict[str, str], which: str
) -> None:
    org = tenant(fanfare_mock)
    assert not _quiet_audience(org, hot[which])
    before = world(fanfare_mock)
    moved = [PATHS["getV1AudiencesByAudienceIdStatus" if which == "synced" else "getV1AudiencesByAudienceId"]]
    for path in moved:
        assert fanfare_mock.client.get(path.format(a=hot[which])).status_code == 200
    assert world(fanfare_mock) != before, "the check above guards a read that does change the world"


def test_an_unknown_audience_is_a_pure_read(fanfare_mock: Any, hot: dict[str, str]) -> None:
    org = tenant(fanfare_mock)
    unknown = "01a242ea-0000-7000-8000-000000000000"
    assert _quiet_audience(org, unknown)
    before = world(fanfare_mock)
    for path in PATHS.values():
        assert fanfare_mock.client.get(path.format(a=unknown)).status_code == 404
    assert world(fanfare_mock) == before

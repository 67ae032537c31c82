"""The control plane over HTTP: clock, reset to the seeded world, re-seed, state export and import."""

from __future__ import annotations

from typing import Any

from mock_server.app import create_app
from mock_server.client import InProcessClient
from tests.handlers.conftest import OTHER_KEY, created

KEY = {"Authorization": "Bearer sk_test_control"}


def test_clock_get_set_advance(client: Any) -> None:
    assert created(client.get("/_mock/clock"), 200) == {"now": "2025-01-01T00:00:00Z", "running": False}
    assert created(client.post("/_mock/clock", json={"now": "2025-06-01T12:00:00+02:00"}), 200)["now"] == (
        "2025-06-01T10:00:00Z"
    )
    assert (
        created(client.post("/_mock/clock", json={"advanceSeconds": 90}), 200)["now"]
        == "2025-06-01T10:01:30Z"
    )
    assert client.post("/_mock/clock", json={}).status_code == 400
    assert client.post("/_mock/clock", json={"now": "yesterday"}).status_code == 400


def test_reset_returns_to_the_seeded_world_not_to_emptiness(client: Any, other: Any) -> None:
    seeded = client.get("/api/v1/audiences").json()
    audience = created(client.post("/api/v1/audiences", json={"name": "Temp", "type": "STATIC"}), 201)
    mine = created(other.post("/api/v1/audiences", json={"name": "Theirs", "type": "STATIC"}), 201)
    assert created(client.post("/_mock/reset", json={"secretKey": OTHER_KEY}), 200)["reset"] == "tenant"
    assert other.get(f"/api/v1/audiences/{mine['id']}").status_code == 404
    assert client.get(f"/api/v1/audiences/{audience['id']}").status_code == 200
    client.post("/_mock/clock", json={"advanceSeconds": 3600})
    assert created(client.post("/_mock/reset"), 200) == {"reset": "all"}
    assert client.get("/api/v1/audiences").json() == seeded
    assert client.get("/_mock/clock").json()["now"] == "2025-01-01T00:00:00Z"
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
    assert client.get(f"/api/v1/audiences/{everyone['id']}/count").json()["count"] == 200


def _script(client: InProcessClient) -> None:
    audience = created(
        client.post(
            "/api/v1/audiences",
            json={
                "name": "VIP",
                "type": "DYNAMIC",
                "rules": [{"field": "totalOrders", "operator": "GREATER_THAN", "values": [3]}],
            },
        ),
        201,
    )
    client.put(f"/api/v1/audiences/{audience['id']}", json={"description": "changed"})
    listed = created(client.post("/api/v1/audiences", json={"name": "List", "type": "STATIC"}), 201)
    some = client.get(f"/api/v1/audiences/{audience['id']}/members", params={"first": 5}).json()["data"]
    client.post(f"/api/v1/audiences/{listed['id']}/members", json={"consumerIds": [m["id"] for m in some]})
    client.post("/api/v1/experiences", json={"name": "Drop", "openAt": "2025-03-01T00:00:00Z"})
    client.post("/api/v1/audiences/import/klaviyo", json={"listIds": ["AbCdEf"]})


def test_same_seed_same_world_byte_for_byte() -> None:
    exports = []
    for _ in range(2):
        app = create_app(seed=7, consumers=300)
        with InProcessClient(app, headers=KEY) as client:
            _script(client)
            exports.append(client.get("/_mock/state").content)
    assert exports[0] == exports[1]
    app = create_app(seed=8, consumers=300)
    with InProcessClient(app, headers=KEY) as client:
        _script(client)
        assert client.get("/_mock/state").content != exports[0]


def test_state_export_and_import_restore_the_world_exactly() -> None:
    source = create_app(seed=3, consumers=250)
    with InProcessClient(source, headers=KEY) as client:
        _script(client)
        snapshot = client.get("/_mock/state").json()
        audiences = client.get("/api/audiences").json()
    target = create_app(seed=99, consumers=10)
    with InProcessClient(target, headers=KEY) as client:
        restored = created(client.put("/_mock/state", json=snapshot), 200)
        assert restored == {"restored": True, "organizations": 1}
        assert client.get("/api/audiences").json() == audiences
        assert client.get("/_mock/state").json() == snapshot
        assert client.put("/_mock/state", json={"format": "fanfare-mock/1", "world": {}}).status_code == 400


def test_health_and_documents(client: Any) -> None:
    health = created(client.get("/_mock/health"), 200)
    assert health["status"] == "ok" and health["consumersPerOrganization"] == 200
    assert created(client.get("/openapi.json"), 200)["info"]["title"].startswith("Fanfare Admin API")
    assert "/_mock/reset" in created(client.get("/_mock/openapi.json"), 200)["paths"]

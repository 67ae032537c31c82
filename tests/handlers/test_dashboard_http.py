"""The pages and the control-plane reads the dashboard makes: `/_mock/` (HTML for a browser, the JSON
description otherwise), its files, `/docs` with documents served by this mock, the organization reads
and forcing a job outcome by organization id."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.pytest_plugin import InProcessMock

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def control(fanfare_mock: InProcessMock) -> Any:
    return fanfare_mock.client_for(None)


def test_a_browser_gets_the_dashboard(control: Any) -> None:
    page = control.get("/_mock/", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/_mock/ui/app.js">' in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from the network


def test_other_clients_get_the_description(control: Any) -> None:
    described = control.get("/_mock/", headers={"Accept": "application/json"})
    assert described.status_code == 200
    body = described.json()
    assert body["docs"] == "/docs"
    assert {"method": "GET", "path": "/_mock/scenario"}.items() <= next(
        op for op in body["operations"] if op["path"] == "/_mock/scenario"
    ).items()


@pytest.mark.parametrize("path", ["/", "/_mock"])
def test_the_root_and_the_control_plane_describe_what_is_served(control: Any, path: str) -> None:
    for accept in ("application/json", HTML["Accept"], "*/*"):
        described = control.get(path, headers={"Accept": accept})
        assert described.status_code == 200, described.text
        body = described.json()
        assert [(f["name"], f["basePath"]) for f in body["families"]] == [
            ("guide", "/api/v1"),
            ("reference", "/api"),
        ]
        assert body["openapi"] == {"adminApi": "/openapi.json", "controlPlane": "/_mock/openapi.json"}
        assert (body["docs"], body["dashboard"]) == ("/docs", "/_mock/")
        paths = {op["path"] for op in body["operations"]}
        assert {"/_mock/reset", "/_mock/clock", "/_mock/journal", "/_mock/faults"} <= paths
        for where in (body["openapi"]["adminApi"], body["openapi"]["controlPlane"], body["docs"]):
            assert control.get(where).status_code == 200, where  # every place it names is served


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")],
)
def test_the_dashboard_files(control: Any, name: str, media_type: str) -> None:
    response = control.get(f"/_mock/ui/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert len(response.content) > 100


def test_an_unknown_file_is_a_404(control: Any) -> None:
    assert control.get("/_mock/ui/..%2Fstate").status_code == 404
    assert control.get("/_mock/ui/secrets.txt").status_code == 404
    assert control.get("/docs/index.j2").status_code == 404


def test_the_docs_page_and_its_files(control: Any) -> None:
    page = control.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    bundle = control.get("/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 500_000
    assert control.get("/docs/swagger-ui.css").headers["content-type"].startswith("text/css")


def test_the_documents_name_this_mock_first(control: Any) -> None:
    document = control.get("/docs/fanfare.json", headers={"Host": "127.0.0.1:5555"}).json()
    assert document["servers"][0] == {"url": "http://127.0.0.1:5555", "description": "this mock"}
    assert document["paths"]["/api/v1/audiences"]
    assert control.get("/docs/mock.json").json()["paths"]["/_mock/scenario"]


def test_organizations_and_one_organizations_world(fanfare_mock: InProcessMock, control: Any) -> None:
    client = fanfare_mock.client
    vip = client.post(
        "/api/v1/audiences",
        json={
            "name": "VIP",
            "type": "DYNAMIC",
            "rules": [{"field": "totalOrders", "operator": "GREATER_THAN", "values": [3]}],
        },
    ).json()
    client.post("/api/v1/experiences", json={"name": "Drop", "openAt": "2025-01-01T02:00:00Z"})
    (org,) = control.get("/_mock/organizations").json()["organizations"]
    assert org["tenant"] == "sk_test_…ture" and org["audiences"] == 1 and org["experiences"] == 1
    detail = control.get(f"/_mock/organizations/{org['id']}").json()
    (audience,) = detail["audiences"]
    assert audience == {
        "id": vip["id"],
        "name": "VIP",
        "type": "DYNAMIC",
        "count": client.get(f"/api/v1/audiences/{vip['id']}/count").json()["count"],
        "status": "ready",
        "version": 1,
        "groupId": None,
    }
    assert detail["experiences"][0]["status"] == "scheduled"
    fanfare_mock.clock.advance(3 * 3600)
    detail = control.get(f"/_mock/organizations/{org['id']}").json()
    assert detail["experiences"][0]["status"] == "active"
    assert control.get("/_mock/organizations/nope").status_code == 404


def test_the_members_browser_pages_and_searches(fanfare_mock: InProcessMock, control: Any) -> None:
    client = fanfare_mock.client
    everyone = client.post(
        "/api/v1/audiences",
        json={
            "name": "All",
            "type": "DYNAMIC",
            "rules": [{"field": "email", "operator": "EXISTS", "values": []}],
        },
    ).json()
    (org,) = control.get("/_mock/organizations").json()["organizations"]
    url = f"/_mock/organizations/{org['id']}/audiences/{everyone['id']}/members"
    seen: list[str] = []
    after = None
    while True:
        page = control.get(url, params={"first": 50, **({"after": after} if after else {})}).json()
        seen.extend(m["id"] for m in page["data"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["total"]
    api_ids: list[str] = []
    cursor = None
    while True:
        api = client.get(
            f"/api/v1/audiences/{everyone['id']}/members",
            params={"first": 100, **({"after": cursor} if cursor else {})},
        ).json()
        api_ids.extend(m["id"] for m in api["data"])
        cursor = api["pageInfo"].get("endCursor")
        if not cursor or not api["data"]:
            break
    assert seen == api_ids
    someone = client.get(f"/api/v1/audiences/{everyone['id']}/members?first=1").json()["data"][0]
    found = control.get(url, params={"search": someone["email"]}).json()
    assert [m["email"] for m in found["data"]] == [someone["email"]]


def test_forcing_a_sync_failure_by_organization(fanfare_mock: InProcessMock, control: Any) -> None:
    client = fanfare_mock.client
    fanfare_mock.jobs.progression("sync", "immediate")
    client.post("/api/v1/audiences/import/klaviyo", json={"listIds": ["YwxYPP"]})
    (org,) = control.get("/_mock/organizations").json()["organizations"]
    (synced,) = control.get(f"/_mock/organizations/{org['id']}").json()["syncs"]
    assert synced["status"] == "SUCCESS"  # immediate: done at the first look
    audience_id = synced["audienceId"]
    forced = control.post(
        f"/_mock/organizations/{org['id']}/jobs/sync/outcomes", json={"outcome": "fail", "reason": "ESP down"}
    )
    assert forced.json() == {"queued": 1}
    assert client.post(f"/api/v1/audiences/{audience_id}/sync").status_code == 200
    (sync,) = control.get(f"/_mock/organizations/{org['id']}").json()["syncs"]
    assert (sync["status"], sync["error"]) == ("FAILED", "ESP down")
    bad = control.post(f"/_mock/organizations/{org['id']}/jobs/sync/outcomes", json={"outcome": "explode"})
    assert bad.status_code == 400

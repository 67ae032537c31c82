"""What a loaded scenario builds, through the control plane and at start: the same world the same Admin
API calls give, every state it can name, all or nothing, and a byte-identical round trip."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mock_server.app import create_app
from mock_server.client import InProcessClient as TestClient
from mock_server.pytest_plugin import InProcessMock
from mock_server.scenarios import read

KEY = "sk_test_scenario_world"
AUTH = {"Authorization": f"Bearer {KEY}"}
YAML = {"Content-Type": "application/yaml"}

WORLD = f"""\
scenario: 1
clock: 2025-03-01T00:00:00Z
organizations:
  - key: {KEY}
    progression:
      import: {{mode: afterReads, reads: 3}}
    audiences:
      - name: VIP
        type: DYNAMIC
        rules: [{{field: totalOrders, operator: GREATER_THAN_OR_EQUAL, values: [5]}}]
      - name: Newsletter
        type: STATIC
        members: 12 generated
      - name: Friends
        type: STATIC
        members:
          - ada@example.com
          - {{phone: "+15550100", fullName: Grace Hopper}}
        imports:
          - status: COMPLETED
            csv: |
              email,fullName
              linus@example.com,Linus
              not-an-email,Bad Row
          - status: PROCESSING
            csv: |
              email
              margaret@example.com
          - status: FAILED
            csv: |
              email
              ken@example.com
            reason: The bucket was deleted
          - status: PENDING
    tierGroups:
      - groupName: Loyalty
        attribute: totalOrders
        tiers:
          - {{name: Bronze, startValue: 0, endValue: 3, order: 1}}
          - {{name: Gold, startValue: 3, order: 2}}
    syncedLists:
      - {{listId: YwxYPP}}
      - {{listId: AbCdEf, status: PENDING}}
      - {{listId: XyZaBc, status: FAILED, reason: Klaviyo said no}}
    experiences:
      - {{name: Spring drop, openAt: +2h, closeAt: +1d}}
      - {{name: Live now, openAt: -1h, closeAt: +1d}}
      - {{name: Last week, openAt: -8d, closeAt: -7d}}
      - {{name: Draft idea}}
faults:
  - {{operationId: getV1Experiences, status: 500, times: 1}}
"""


Make = Callable[..., TestClient]


@pytest.fixture
def make() -> Iterator[Make]:
    """In-process clients over new apps (`create_app(**options)`), closed after the test."""
    made: list[TestClient] = []

    def build(**options: Any) -> TestClient:
        made.append(TestClient(create_app(**{"consumers": 200, **options})))
        return made[-1]

    yield build
    for client in made:
        client.close()


def load(client: TestClient, text: str = WORLD) -> dict[str, Any]:
    response = client.post("/_mock/scenario", content=text, headers=YAML)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


def test_loading_builds_every_state_it_names(make: Make) -> None:
    client = make()
    assert load(client) == {
        "organizations": 1,
        "audiences": 8,  # 3 audiences, 2 tiers, 3 synced lists
        "experiences": 4,
        "faults": 1,
        "now": "2025-03-01T00:00:00Z",
    }
    audiences = by_name(client.get("/api/v1/audiences", headers=AUTH).json())
    assert set(audiences) >= {"VIP", "Newsletter", "Friends", "Bronze", "Gold"}

    def count(name: str) -> int:
        return client.get(f"/api/v1/audiences/{audiences[name]['id']}/count", headers=AUTH).json()["count"]

    assert count("Newsletter") == 12
    # ada and grace (listed) + linus (the completed import) + margaret (the running import applied its rows)
    assert count("Friends") == 4
    friends = client.get(f"/api/v1/audiences/{audiences['Friends']['id']}/members?first=100", headers=AUTH)
    emails = {m["email"] for m in friends.json()["data"]}
    assert {"ada@example.com", "linus@example.com", "margaret@example.com"} <= emails
    assert "ken@example.com" not in emails  # a failed import applies nothing
    imports = client.get(f"/api/audiences/{audiences['Friends']['id']}/import", headers=AUTH).json()
    assert imports["status"] == "PENDING"  # the latest import: created, nothing uploaded
    state = client.get("/_mock/state").json()["world"]
    records = state["organizations"][0]["extensions"]["modules"]["imports"]["imports"]
    assert [r["status"] for r in records] == ["COMPLETED", "PROCESSING", "FAILED", "PENDING"]
    assert records[0]["outcome"]["errors"] == [{"row": 3, "issues": ["Invalid email"]}]
    assert records[2]["outcome"]["failureReason"] == "The bucket was deleted"

    statuses = {}
    for name, audience in audiences.items():
        if audience["type"] == "SYNCED_LIST":
            status = client.get(f"/api/audiences/{audience['id']}/status", headers=AUTH).json()
            statuses[name] = status["syncStatus"]
    assert sorted(statuses.values()) == ["FAILED", "PENDING", "SUCCESS"]

    assert client.get("/api/v1/experiences", headers=AUTH).status_code == 500  # the fault, once
    experiences = by_name(client.get("/api/v1/experiences", headers=AUTH).json())
    assert {name: e["status"] for name, e in experiences.items()} == {
        "Spring drop": "scheduled",
        "Live now": "active",
        "Last week": "completed",
        "Draft idea": "draft",
    }
    assert experiences["Spring drop"]["openAt"] == "2025-03-01T02:00:00Z"


def test_a_scenario_is_what_the_same_api_calls_give(make: Make) -> None:
    by_scenario = make()
    load(
        by_scenario,
        f"""
clock: 2025-03-01T00:00:00Z
organizations:
  - key: {KEY}
    audiences:
      - {{name: VIP, type: DYNAMIC, rules: [{{field: totalOrders, operator: GREATER_THAN, values: [3]}}]}}
    tierGroups:
      - groupName: Loyalty
        attribute: totalOrders
        tiers: [{{name: Low, startValue: 0, endValue: 2, order: 1}}, {{name: High, startValue: 2, order: 2}}]
    experiences:
      - {{name: Spring drop, openAt: +2h}}
""",
    )
    by_api = make()
    load(by_api, "clock: 2025-03-01T00:00:00Z")  # the same clock (a scenario's clock is the start too)
    calls = [
        (
            "/api/v1/audiences",
            {
                "name": "VIP",
                "type": "DYNAMIC",
                "rules": [{"field": "totalOrders", "operator": "GREATER_THAN", "values": [3]}],
            },
        ),
        (
            "/api/v1/audiences/loyalty-tiers",
            {
                "groupName": "Loyalty",
                "attribute": "totalOrders",
                "tiers": [
                    {"name": "Low", "startValue": 0, "endValue": 2, "order": 1},
                    {"name": "High", "startValue": 2, "order": 2},
                ],
            },
        ),
        ("/api/v1/experiences", {"name": "Spring drop", "openAt": "2025-03-01T02:00:00Z"}),
    ]
    for path, body in calls:
        assert by_api.post(path, json=body, headers=AUTH).status_code == 201
    assert by_scenario.get("/_mock/state").content == by_api.get("/_mock/state").content


def test_round_trip_load_export_load_is_byte_identical(make: Make) -> None:
    first = make()
    load(first)
    built = first.get("/_mock/state").content
    exported = first.get("/_mock/scenario")
    assert first.get("/_mock/state").content == built  # exporting is a read: it changes nothing
    assert exported.status_code == 200
    second = make()
    assert second.post("/_mock/scenario", json=exported.json()).status_code == 200
    assert second.get("/_mock/state").content == first.get("/_mock/state").content
    # the YAML form says the same
    third = make()
    as_yaml = first.get("/_mock/scenario?format=yaml")
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    load(third, as_yaml.text)
    assert third.get("/_mock/state").content == first.get("/_mock/state").content


@pytest.mark.parametrize(
    "policy",
    [{"mode": "immediate"}, {"mode": "afterSeconds", "seconds": 10}, {"mode": "afterReads", "reads": 4}],
    ids=lambda policy: policy["mode"],
)
def test_every_progression_mode_exports_and_loads_back(make: Make, policy: dict[str, Any]) -> None:
    """An export names only the field its mode reads (an `immediate` policy exported `reads: 0`, which
    the Scenario schema refuses: the export answered 500 in strict mode)."""
    first = make()
    for kind in ("import", "sync"):
        answer = first.put(f"/_mock/jobs/{kind}/progression", json={"secretKey": KEY, **policy})
        assert answer.status_code == 200
    exported = first.get("/_mock/scenario")
    assert exported.status_code == 200, exported.text
    (org,) = exported.json()["organizations"]
    assert org["progression"] == {"import": policy, "sync": policy}
    second = make()
    assert second.post("/_mock/scenario", json=exported.json()).status_code == 200
    assert second.get("/_mock/state").content == first.get("/_mock/state").content


def test_the_export_names_organizations_by_key_hash_and_says_what_it_left_out(make: Make) -> None:
    client = make()
    load(client)
    client.post("/_mock/faults", json={"secretKey": KEY, "latencyMs": 5})
    scenario = client.get("/_mock/scenario").json()
    assert KEY not in str(scenario)
    (org,) = scenario["organizations"]
    assert len(org["keyHash"]) == 64
    assert any("for one tenant" in note for note in scenario["notes"])


def test_a_failing_scenario_changes_nothing(make: Make) -> None:
    client = make()
    load(client)
    client.get("/api/v1/audiences", headers={"Authorization": "Bearer sk_test_bystander"})
    before = client.get("/_mock/state").content
    faults = client.get("/_mock/faults").json()
    broken = WORLD.replace("clock: 2025-03-01T00:00:00Z", "clock: 2026-01-01T00:00:00Z").replace(
        "{listId: XyZaBc, status: FAILED, reason: Klaviyo said no}", "{listId: Unknown}"
    )
    response = client.post("/_mock/scenario", content=broken, headers=YAML)
    assert response.status_code == 400
    assert response.json()["message"].startswith(
        "Invalid scenario: request body:44: organizations[0].syncedLists[2].listId: Unknown: List not found"
    )
    assert client.get("/_mock/state").content == before
    assert client.get("/_mock/faults").json() == faults
    assert client.get("/_mock/clock").json()["now"] == "2025-03-01T00:00:00Z"


def test_a_scenario_failing_after_its_reseed_changes_nothing(make: Make) -> None:
    # its new seed rebuilds the world before the bad line is reached: the old world, and the upload URLs
    # it issued, must come back whole
    client = make()
    load(client)
    audience = client.post("/api/v1/audiences", json={"name": "Later", "type": "STATIC"}, headers=AUTH)
    started = client.post(f"/api/v1/audiences/{audience.json()['id']}/import", headers=AUTH).json()
    before = client.get("/_mock/state").content
    broken = "seed: 99\n" + WORLD.replace(
        "{listId: XyZaBc, status: FAILED, reason: Klaviyo said no}", "{listId: Unknown}"
    )
    assert client.post("/_mock/scenario", content=broken, headers=YAML).status_code == 400
    assert client.get("/_mock/state").content == before
    csv = b"email\nlate@example.com\n"
    path = httpx.URL(started["uploadUrl"]).raw_path.decode()
    assert client.put(path, content=csv, headers={"content-type": "text/csv"}).status_code == 200


def test_bad_json_and_yaml_bodies_are_400s(make: Make) -> None:
    client = make()
    response = client.post("/_mock/scenario", json={"organizations": [{"key": "pk_test_nope"}]})
    assert response.status_code == 400
    assert client.post("/_mock/scenario", content=b"\xff\xfe", headers=YAML).status_code == 400
    response = client.post("/_mock/scenario", content="[1, 2]", headers=YAML)
    assert response.status_code == 400
    assert "a scenario is a mapping" in response.json()["message"]


def test_a_template_furnishes_every_new_organization_and_survives_resets(make: Make) -> None:
    client = make()
    load(
        client,
        "organizations:\n  - key: '*'\n    audiences:\n"
        "      - {name: Everyone, type: STATIC, members: 3 generated}\n",
    )
    for key in ("sk_test_first", "sk_test_second"):
        names = [
            a["name"]
            for a in client.get("/api/v1/audiences", headers={"Authorization": f"Bearer {key}"}).json()
        ]
        assert names == ["Everyone"]
    client.post("/_mock/reset", json={"secretKey": "sk_test_first"})
    after = client.get("/api/v1/audiences", headers={"Authorization": "Bearer sk_test_first"}).json()
    assert [a["name"] for a in after] == ["Everyone"]


def test_a_reset_forgets_the_csvs_of_the_organizations_it_dropped() -> None:
    # every furnished organization's scenario import keeps its CSV for the export; a stranger's must go
    # with its organization, or each new key would leave one behind for the life of the process
    app = create_app(consumers=200)
    client = TestClient(app)
    load(client)  # a named organization with imports
    load(
        client,
        "organizations:\n  - key: '*'\n    audiences:\n      - name: Imported\n        type: STATIC\n"
        '        imports:\n          - status: COMPLETED\n            csv: "email\\nada@example.com\\n"\n',
    )
    uploads = app.state.scenarios.uploads
    named = len(uploads)
    for n in range(5):
        client.get("/api/v1/audiences", headers={"Authorization": f"Bearer sk_test_stranger_{n}"})
    assert len(uploads) == named + 5
    for _ in range(3):
        assert client.post("/_mock/reset", json={"secretKey": "sk_test_stranger_0"}).status_code == 200
    assert len(uploads) == named + 5  # a tenant reset replaces its organization's, adds none
    exported = client.get("/_mock/scenario").json()
    assert client.post("/_mock/reset", json={}).status_code == 200
    assert len(uploads) == named  # the strangers are gone, and their CSVs with them
    assert client.get("/_mock/scenario").json()["organizations"][0] == exported["organizations"][0]
    client.close()


def test_a_reset_comes_back_to_what_the_scenario_made(make: Make) -> None:
    client = make()
    load(client)
    built = client.get("/_mock/state").content
    client.post("/api/v1/audiences", json={"name": "Extra", "type": "STATIC"}, headers=AUTH)
    client.post("/_mock/clock", json={"advanceSeconds": 7200})
    client.post("/_mock/reset", json={})  # the scenario's clock is the world's start now
    assert client.get("/_mock/state").content == built


def test_create_app_and_the_fixtures_start_empty(make: Make, fanfare_mock: InProcessMock) -> None:
    assert fanfare_mock.client.get("/api/v1/audiences").json() == []
    assert make(consumers=10).get("/api/v1/audiences", headers=AUTH).json() == []


def test_same_seed_scenario_and_clock_give_a_byte_identical_world(make: Make) -> None:
    from datetime import UTC, datetime

    def world() -> bytes:
        client = make(
            seed=4, consumers=300, clock_start=datetime(2025, 5, 1, tzinfo=UTC), scenarios=[read("demo")]
        )
        for key in ("sk_test_alpha", "sk_test_beta"):
            assert (
                client.get("/api/v1/audiences", headers={"Authorization": f"Bearer {key}"}).status_code == 200
            )
        return client.get("/_mock/state").content

    assert world() == world()


def test_the_demo_world_looks_alive(make: Make) -> None:
    client = make(consumers=300, scenarios=[read("demo")])
    audiences = client.get("/api/v1/audiences", headers=AUTH).json()  # a new key's first request
    types = {a["type"] for a in audiences}
    assert types == {"STATIC", "DYNAMIC", "SYNCED_LIST"}
    assert any(a["groupType"] == "SEGMENTED_VALUE" for a in audiences)
    experiences = client.get("/api/v1/experiences", headers=AUTH).json()
    assert {e["status"] for e in experiences} == {"draft", "scheduled", "active", "completed"}
    beta = next(a for a in audiences if a["name"] == "Beta testers")
    record = client.get(f"/api/audiences/{beta['id']}/import", headers=AUTH).json()
    assert record["status"] == "PENDING"  # its latest: waiting for an upload
    (org,) = client.get("/_mock/organizations").json()["organizations"]
    detail = client.get(f"/_mock/organizations/{org['id']}").json()
    assert any(i["errors"] for i in detail["imports"])  # an import with row errors
    assert {s["status"] for s in detail["syncs"]} == {"SUCCESS", "PENDING", "FAILED"}


@pytest.mark.fanfare(
    scenario={
        "organizations": [
            {"key": "sk_test_fanfare_fixture", "audiences": [{"name": "From the marker", "type": "STATIC"}]}
        ]
    }
)
def test_the_marker_loads_a_scenario(fanfare_mock: InProcessMock) -> None:
    assert [a["name"] for a in fanfare_mock.client.get("/api/v1/audiences").json()] == ["From the marker"]


@pytest.mark.fanfare(scenario="demo")
def test_the_marker_takes_the_demo(fanfare_mock: InProcessMock) -> None:
    assert len(fanfare_mock.client.get("/api/v1/audiences").json()) > 5


@pytest.mark.fanfare(scenario="marker_world.yaml")
def test_the_marker_takes_a_file_beside_the_test(fanfare_mock: InProcessMock) -> None:
    names = [a["name"] for a in fanfare_mock.client.get("/api/v1/audiences").json()]
    assert names == ["Beside the test"]

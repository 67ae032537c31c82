"""Issue 10, snapshots, against a live `fanfare-mock serve`: `PUT /_mock/state` checks a snapshot before it
replaces anything (the seed endpoint's consumer cap, member positions within the consumer table, pinned
keys well-formed), answering a 400 in the control plane's envelope that names the field, the world
unchanged; and any export the mock can produce is restorable (its own body limit, not the general 1 MiB).

(`pinnedKeyHashes: null` cannot lift `--keys`: `test_hardening_control_access.py`.)"""

from __future__ import annotations

import base64
import copy
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.hardening.conftest import LiveMock, Start

KEY = {"Authorization": "Bearer sk_test_snapshot_tenant_1234"}


def imported_list(mock: LiveMock, rows: int) -> str:
    """A static list of `rows` new consumers, imported by CSV; its id."""
    lines = b"".join(b"person%d@example.com,Person %d,%d\n" % (i, i, i) for i in range(rows))
    with httpx.Client(base_url=mock.base, headers=KEY, timeout=120) as client:
        audience = client.post("/api/v1/audiences", json={"name": "Imported", "type": "STATIC"}).json()
        url = urlsplit(client.post(f"/api/v1/audiences/{audience['id']}/import").json()["uploadUrl"])
        upload = client.put(
            f"{url.path}?{url.query}",
            content=b"email,fullName,loyaltyPoints\n" + lines,
            headers={"content-type": "text/csv"},
        )
        assert upload.status_code == 200, upload.text
        assert client.get(f"/api/v1/audiences/{audience['id']}/count").json()["count"] == rows
    return str(audience["id"])


def members(mock: LiveMock, audience_id: str) -> list[str]:
    """Every member's email, by walking the pages."""
    seen: list[str] = []
    after: str | None = None
    with httpx.Client(base_url=mock.base, headers=KEY, timeout=60) as client:
        while True:
            params: dict[str, Any] = {"first": 100, **({"after": after} if after else {})}
            page = client.get(f"/api/v1/audiences/{audience_id}/members", params=params)
            assert page.status_code == 200, page.text
            body = page.json()
            seen += [m["email"] for m in body["data"]]
            after = body["pageInfo"]["endCursor"]
            if after is None:
                return seen


def refused(mock: LiveMock, snapshot: dict[str, Any], field: str) -> dict[str, Any]:
    before = httpx.get(f"{mock.base}/_mock/state").content
    answer = httpx.put(f"{mock.base}/_mock/state", json=snapshot, timeout=60)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] and field in answer.text, body
    assert httpx.get(f"{mock.base}/_mock/state").content == before  # nothing replaced
    return dict(body)


def test_a_snapshot_over_the_seed_endpoints_consumer_cap_is_refused(start_mock: Start) -> None:
    mock = start_mock()
    assert httpx.post(f"{mock.base}/_mock/seed", json={"seed": 1, "consumers": 2_500_000}).status_code == 400
    snapshot = httpx.get(f"{mock.base}/_mock/state").json()
    snapshot["world"]["consumersPerOrganization"] = 2_500_000
    refused(mock, snapshot, "consumersPerOrganization")
    snapshot["world"]["consumersPerOrganization"] = "many"
    refused(mock, snapshot, "consumersPerOrganization")
    assert httpx.get(f"{mock.base}/_mock/health").json()["consumersPerOrganization"] == 200


def test_member_positions_outside_the_consumer_table_are_refused(start_mock: Start) -> None:
    mock = start_mock()
    audience_id = imported_list(mock, 3)
    snapshot = httpx.get(f"{mock.base}/_mock/state").json()
    (organization,) = snapshot["world"]["organizations"]
    (audience,) = [a for a in organization["audiences"] if a["id"] == audience_id]
    for bad in ([200, 201, 1_000_000], [-1, 200, 201], [202, 201, 200], [0, 0, 1]):
        changed = copy.deepcopy(snapshot)
        (listed,) = [a for a in changed["world"]["organizations"][0]["audiences"] if a["id"] == audience_id]
        listed["members"]["positions"] = base64.b64encode(
            b"".join(p.to_bytes(8, "little", signed=True) for p in bad)
        ).decode()
        refused(mock, changed, "members.positions")
    changed = copy.deepcopy(snapshot)
    changed["world"]["organizations"][0]["audiences"][0]["members"]["positions"] = "not base64!"
    refused(mock, changed, "members.positions")
    assert sorted(members(mock, audience_id)) == [f"person{i}@example.com" for i in range(3)]
    assert audience["members"]["positions"]  # (the export lists a static list's members)


def test_changed_consumer_positions_must_fit_the_table(start_mock: Start) -> None:
    mock = start_mock()
    imported_list(mock, 3)
    snapshot = httpx.get(f"{mock.base}/_mock/state").json()
    changed = snapshot["world"]["organizations"][0]["consumers"]["changed"]
    assert [position for position, _ in changed] == [200, 201, 202]
    changed[2][0] = 205  # a gap after the generated consumers
    refused(mock, snapshot, "consumers.changed")
    changed[2][0] = 202
    changed[0][1]["total_orders"] = "lots"
    refused(mock, snapshot, "consumers.changed")


def test_pinned_key_hashes_must_be_sha256_hex_or_null(start_mock: Start) -> None:
    mock = start_mock()
    snapshot = httpx.get(f"{mock.base}/_mock/state").json()
    for bad in ("everyone", ["not-a-hash"], ["A" * 64], [1234]):
        snapshot["world"]["pinnedKeyHashes"] = bad
        refused(mock, snapshot, "pinnedKeyHashes")
    snapshot["world"]["pinnedKeyHashes"] = None
    assert httpx.put(f"{mock.base}/_mock/state", json=snapshot).status_code == 200


def test_a_malformed_world_names_its_field(start_mock: Start) -> None:
    mock = start_mock()
    snapshot = httpx.get(f"{mock.base}/_mock/state").json()
    for field, value in (("seed", -1), ("clock", {"now": "yesterday", "running": False}), ("format", "x")):
        changed = copy.deepcopy(snapshot)
        changed["world"][field] = value
        refused(mock, changed, field)
    changed = copy.deepcopy(snapshot)
    changed["world"]["organizations"] = [{"keyHash": "f" * 64}]
    refused(mock, changed, "organizations")


def test_an_export_over_a_mebibyte_restores_into_a_fresh_serve(start_mock: Start) -> None:
    first = start_mock()
    audience_id = imported_list(first, 2_500)
    export = httpx.get(f"{first.base}/_mock/state", timeout=60)
    assert len(export.content) > 1024 * 1024, len(export.content)
    expected = members(first, audience_id)
    first.stop()

    second = start_mock()
    restored = httpx.put(
        f"{second.base}/_mock/state",
        content=export.content,
        headers={"content-type": "application/json"},
        timeout=120,
    )
    assert restored.status_code == 200, restored.text
    assert members(second, audience_id) == expected and len(expected) == 2_500
    assert httpx.get(f"{second.base}/_mock/state", timeout=60).content == export.content


def test_the_state_body_limit_still_refuses_what_is_larger(start_mock: Start) -> None:
    mock = start_mock("--max-state-body", "2MiB")
    oversized = b'{"format":"fanfare-mock/1","world":{"pad":"' + b"x" * (3 * 1024 * 1024) + b'"}}'
    answer = httpx.put(
        f"{mock.base}/_mock/state", content=oversized, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]
    # the general limit still holds elsewhere
    big = httpx.post(
        f"{mock.base}/api/v1/audiences",
        content=b'{"name":"' + b"x" * (2 * 1024 * 1024) + b'","type":"STATIC"}',
        headers={**KEY, "content-type": "application/json"},
    )
    assert big.status_code == 413

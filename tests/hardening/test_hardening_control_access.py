"""The control plane has an owner: on a non-loopback bind every action that reads or changes more than one
tenant needs the control token; a tenant's own key reaches its share and nothing else; no page of another
origin can drive `/_mock`; `--keys` cannot be lifted through the API; loopback without a token stays open."""

from __future__ import annotations

import re
from typing import Any

import httpx

Start = Any  # the start_mock fixture (tests/hardening/conftest.py)

TOKEN = "fmc_" + "t0ken" * 6
A, B = "sk_test_tenant_a_0001", "sk_test_tenant_b_0002"


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


OWNER = bearer(TOKEN)


def test_a_non_loopback_start_generates_prints_and_requires_a_control_token(start_mock: Start) -> None:
    mock = start_mock("--host", "0.0.0.0")
    found = re.search(r"fmc_[A-Za-z0-9_-]{20,}", mock.output)
    assert found, mock.output
    assert "control token" in mock.output.lower()
    token = found.group()
    base = mock.base
    refused = [
        httpx.get(f"{base}/_mock/journal"),
        httpx.get(f"{base}/_mock/state"),
        httpx.post(f"{base}/_mock/reset", json={}),
        httpx.post(f"{base}/_mock/seed", json={"seed": 1}),
        httpx.post(f"{base}/_mock/clock", json={"advanceSeconds": 1}),
        httpx.post(f"{base}/_mock/faults", json={"status": 500}),
        httpx.get(f"{base}/_mock/faults"),
        httpx.delete(f"{base}/_mock/journal"),
        httpx.get(f"{base}/_mock/journal", headers=bearer("fmc_" + "x" * 30)),  # a wrong token
    ]
    for answer in refused:
        assert answer.status_code == 401, (answer.request.url, answer.text)
        assert "control token" in answer.json()["error"].lower()
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(f"{base}/_mock/faults").json()["error"]
    assert httpx.get(f"{base}/_mock/clock").json()["now"] == "2025-01-01T00:00:00Z", "nothing moved"
    # what concerns no tenant stays open: the probe, the clock's reading, the documents
    for path in ("/_mock/health", "/_mock/clock", "/_mock/openapi.json", "/openapi.json"):
        assert httpx.get(f"{base}{path}").status_code == 200, path
    assert httpx.get(f"{base}/_mock/journal", headers=bearer(token)).status_code == 200
    assert httpx.post(f"{base}/_mock/reset", json={}, headers=bearer(token)).json() == {"reset": "all"}
    journal = httpx.get(f"{base}/_mock/journal?limit=1000", headers=bearer(token)).text
    assert token not in journal, "the control token never reaches the journal in full"


def test_the_token_comes_from_the_environment_and_is_not_printed(start_mock: Start) -> None:
    mock = start_mock("--host", "0.0.0.0", env={"FANFARE_CONTROL_TOKEN": TOKEN})
    assert TOKEN not in mock.output
    assert httpx.get(f"{mock.base}/_mock/state").status_code == 401
    assert httpx.get(f"{mock.base}/_mock/state", headers=OWNER).status_code == 200


def test_a_tenants_key_reaches_its_own_share_of_the_control_plane_and_nothing_else(
    start_mock: Start,
) -> None:
    mock = start_mock("--host", "0.0.0.0", "--control-token", TOKEN)
    base = mock.base
    for key, name in ((A, "list of A"), (B, "secret list of B")):
        made = httpx.post(
            f"{base}/api/v1/audiences", headers=bearer(key), json={"name": name, "type": "STATIC"}
        )
        assert made.status_code == 201, made.text

    # the journal: only A's own requests, and asking for B's is refused
    page = httpx.get(f"{base}/_mock/journal?limit=1000", headers=bearer(A))
    assert page.status_code == 200, page.text
    tenants = {entry["tenant"] for entry in page.json()["entries"]}
    assert tenants == {"sk_test_…0001"}, tenants
    assert "secret list of B" not in page.text
    assert httpx.get(f"{base}/_mock/journal", params={"secretKey": B}, headers=bearer(A)).status_code == 403
    assert httpx.delete(f"{base}/_mock/journal", headers=bearer(A)).status_code == 403

    # the state: A's organization only
    snapshot = httpx.get(f"{base}/_mock/state", headers=bearer(A)).json()
    assert len(snapshot["world"]["organizations"]) == 1
    assert "secret list of B" not in str(snapshot)
    everything = httpx.get(f"{base}/_mock/state", headers=OWNER).json()
    assert len(everything["world"]["organizations"]) == 2
    assert httpx.put(f"{base}/_mock/state", headers=bearer(A), json=snapshot).status_code == 403

    # faults: a rule A adds is A's, whatever it says; A cannot aim one at B or see or remove the owner's
    rule = httpx.post(
        f"{base}/_mock/faults", headers=bearer(A), json={"status": 500, "operationId": "getV1Audiences"}
    )
    assert rule.status_code == 201, rule.text
    assert rule.json()["tenant"] == "sk_test_…0001"
    assert httpx.get(f"{base}/api/v1/audiences", headers=bearer(A)).status_code == 500
    assert httpx.get(f"{base}/api/v1/audiences", headers=bearer(B)).status_code == 200
    aimed = httpx.post(f"{base}/_mock/faults", headers=bearer(A), json={"status": 500, "secretKey": B})
    assert aimed.status_code == 403
    owners = httpx.post(f"{base}/_mock/faults", headers=OWNER, json={"latencyMs": 1, "secretKey": B}).json()
    listed = httpx.get(f"{base}/_mock/faults", headers=bearer(A)).json()["faults"]
    assert [r["id"] for r in listed] == [rule.json()["id"]]
    assert httpx.delete(f"{base}/_mock/faults/{owners['id']}", headers=bearer(A)).status_code == 404
    assert httpx.delete(f"{base}/_mock/faults", headers=bearer(A)).json() == {"removed": 1}
    assert len(httpx.get(f"{base}/_mock/faults", headers=OWNER).json()["faults"]) == 1

    # jobs: A's own only
    progression = {"mode": "immediate"}
    assert (
        httpx.put(
            f"{base}/_mock/jobs/import/progression", headers=bearer(A), json={**progression, "secretKey": B}
        ).status_code
        == 403
    )
    assert (
        httpx.put(
            f"{base}/_mock/jobs/import/progression", headers=bearer(A), json={**progression, "secretKey": A}
        ).status_code
        == 200
    )

    # reset: A's tenant only, and only A
    assert httpx.post(f"{base}/_mock/reset", headers=bearer(A), json={"secretKey": B}).status_code == 403
    reset = httpx.post(f"{base}/_mock/reset", headers=bearer(A), json={})
    assert reset.status_code == 200 and reset.json()["reset"] == "tenant", reset.text
    assert httpx.get(f"{base}/api/v1/audiences", headers=bearer(A)).json() == []
    assert [a["name"] for a in httpx.get(f"{base}/api/v1/audiences", headers=bearer(B)).json()] == [
        "secret list of B"
    ]

    # what concerns everyone is the owner's
    assert httpx.post(f"{base}/_mock/clock", headers=bearer(A), json={"advanceSeconds": 1}).status_code == 403
    assert httpx.post(f"{base}/_mock/seed", headers=bearer(A), json={"seed": 2}).status_code == 403
    assert httpx.get(f"{base}/_mock/clock").json()["now"] == "2025-01-01T00:00:00Z"


def test_no_page_of_another_origin_can_drive_the_control_plane(start_mock: Start) -> None:
    mock = start_mock()  # loopback, no token: the easiest setup is the one a local web page could reach
    base = mock.base
    made = httpx.post(f"{base}/api/v1/audiences", headers=bearer(A), json={"name": "Keep", "type": "STATIC"})
    assert made.status_code == 201
    preflight = httpx.options(
        f"{base}/_mock/reset",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    for origin in ("http://localhost:5173", "http://evil.example", "null"):
        answer = httpx.post(f"{base}/_mock/reset", headers={"Origin": origin}, json={})
        assert answer.status_code == 403, (origin, answer.text)
        assert "access-control-allow-origin" not in answer.headers
    form = httpx.post(f"{base}/_mock/reset", data={"a": "b"})
    assert form.status_code == 415
    plain = httpx.post(f"{base}/_mock/reset", content=b"{}", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    # a page that rebinds its own name to 127.0.0.1 is refused by the Host it sends
    rebound = httpx.post(f"{base}/_mock/reset", headers={"Host": "attacker.example"}, json={})
    assert rebound.status_code == 403
    assert len(httpx.get(f"{base}/api/v1/audiences", headers=bearer(A)).json()) == 1, "nothing was reset"
    # the same machine's tools (no Origin, or the mock's own origin) work as before, without a token
    assert httpx.post(f"{base}/_mock/reset").json() == {"reset": "all"}
    assert httpx.post(f"{base}/_mock/reset", headers={"Origin": base}, json={}).status_code == 200
    # and the Admin API keeps its local CORS
    admin = httpx.options(
        f"{base}/api/v1/audiences",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
    )
    assert admin.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_the_login_url_sets_a_same_site_cookie_the_control_plane_accepts(start_mock: Start) -> None:
    mock = start_mock("--host", "0.0.0.0", "--control-token", TOKEN)
    base = mock.base
    assert "/_mock/login?token=" in mock.output
    wrong = httpx.get(f"{base}/_mock/login", params={"token": "fmc_" + "w" * 30})
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    login = httpx.get(f"{base}/_mock/login", params={"token": TOKEN})
    assert login.status_code == 303 and login.headers["location"] == "/_mock/"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    jar = {"fanfare_control": login.cookies["fanfare_control"]}
    assert httpx.get(f"{base}/_mock/state", cookies=jar).status_code == 200
    assert TOKEN not in httpx.get(f"{base}/_mock/journal?limit=1000", cookies=jar).text


def test_pinned_keys_cannot_be_lifted_through_a_snapshot(start_mock: Start) -> None:
    mock = start_mock("--keys", A)
    base = mock.base
    snapshot = httpx.get(f"{base}/_mock/state").json()
    snapshot["world"]["pinnedKeyHashes"] = None
    lifted = httpx.put(f"{base}/_mock/state", json=snapshot)
    assert lifted.status_code == 400, lifted.text
    assert "--keys" in lifted.text
    assert httpx.get(f"{base}/api/v1/audiences", headers=bearer(B)).status_code == 401
    snapshot["world"]["pinnedKeyHashes"] = ["0" * 64]
    assert httpx.put(f"{base}/_mock/state", json=snapshot).status_code == 400
    assert httpx.get(f"{base}/api/v1/audiences", headers=bearer(A)).status_code == 200


def test_the_spec_declares_who_may_call_each_control_operation(start_mock: Start) -> None:
    mock = start_mock()
    document = httpx.get(f"{mock.base}/_mock/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["controlToken"]["scheme"] == "bearer" and schemes["tenantKey"]["scheme"] == "bearer"
    paths = document["paths"]
    assert {"controlToken": []} in paths["/_mock/seed"]["post"]["security"]
    assert {"tenantKey": []} not in paths["/_mock/seed"]["post"]["security"]
    assert {"tenantKey": []} in paths["/_mock/journal"]["get"]["security"]
    assert paths["/_mock/health"]["get"].get("security", document.get("security")) == []

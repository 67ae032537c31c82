"""Bearer auth: missing, malformed, publishable and valid keys; auth before validation; open operations."""

from __future__ import annotations

import logging

import pytest

from mock_server.web import redact
from mock_server.web.security import BearerAuth
from tests.web.conftest import KEY, TestClient, load_sample, response_schema


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Authentication required"),
        ("", "Authentication required"),
        ("Bearer", "Authentication required"),
        ("Bearer ", "Authentication required"),
        ("Basic c2tfdGVzdF94eXo6", "Authentication required"),
        ("Token sk_test_abc", "Authentication required"),
        ("Bearer sk_test_", "Authentication required"),
        ("Bearer sk_prod_abc", "Authentication required"),
        ("Bearer sk_test_abc def", "Authentication required"),
        ("Bearer sk_test_ab%c", "Authentication required"),
        ("Bearer pk_test_abc", "Secret key required"),
        ("Bearer pk_live_abc", "Secret key required"),
        ("bearer pk_x", "Secret key required"),
    ],
)
def test_bad_credentials_are_401(client: TestClient, authorization: str | None, message: str) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path, family_path in (
        ("GET", "/api/v1/things/t1", "/api/v1/things/{thingId}"),
        ("GET", "/api/things/t1/members", "/api/things/{thingId}/members"),
    ):
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": message}
        assert response.headers["www-authenticate"] == "Bearer"
        assert response_schema(load_sample(), family_path, method.lower(), 401).is_valid(response.json())


@pytest.mark.parametrize("key", ["sk_test_abc123", "sk_live_X_9", "sk_test_" + "a" * 200])
def test_secret_keys_pass_and_reach_the_handler(client: TestClient, key: str) -> None:
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = client.get("/api/things/t1/members", headers={"Authorization": f"{scheme} {key}"})
        assert response.status_code == 200
        assert response.json()["secretKey"] == key


def test_auth_comes_before_body_and_parameter_validation(client: TestClient) -> None:
    # every one of these would be a 400, 413 or 415 with a key
    assert client.post("/api/v1/things", content=b"{not json").status_code == 401
    assert client.post("/api/v1/things", json={"wrong": 1}).status_code == 401
    assert (
        client.post("/api/v1/things", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 401
    )
    assert client.post("/api/v1/things", content=b"[" * 2_000_000).status_code == 401
    assert client.get("/api/v1/things?first=zero").status_code == 401
    publishable = {"Authorization": "Bearer pk_test_1"}
    response = client.post("/api/things", json={}, headers=publishable)
    assert (response.status_code, response.json()) == (401, {"error": "Secret key required"})


def test_operations_without_security_need_no_key(client: TestClient) -> None:
    response = client.get("/api/open")
    assert response.status_code == 200
    assert response.json()["secretKey"] is None
    # the control document declares `security: []`
    assert client.post("/_mock/clock", json={"advanceSeconds": 5}).status_code == 200


def test_an_optional_requirement_admits_anonymous_calls_and_reads_a_good_key(make_app) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import sample_documents

    documents = sample_documents()
    documents[0]["paths"]["/api/open"]["get"]["security"] = [{}, {"Key": []}]
    with TestClient(make_app(documents=documents)) as client:
        assert client.get("/api/open").json()["secretKey"] is None
        assert client.get("/api/open", headers={"Authorization": f"Bearer {KEY}"}).json()["secretKey"] == KEY
        assert client.get("/api/open", headers={"Authorization": "Bearer pk_1"}).status_code == 200


def test_keys_are_not_logged_or_echoed(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.get("/api/v1/things/t1", headers={"Authorization": "Bearer sk_test_secretvalue99"})
    publishable = client.get("/api/v1/things/t1", headers={"Authorization": "Bearer pk_test_secretvalue99"})
    assert "secretvalue" not in response.text + publishable.text + str(dict(publishable.headers))
    assert "secretvalue" not in caplog.text


def test_redact_keeps_the_kind_and_the_last_characters() -> None:
    assert redact("sk_test_abcdefghijkl") == "sk_test_…ijkl"
    assert redact("sk_live_12345678901") == "sk_live_…8901"
    assert redact("sk_test_short") == "sk_test_…"
    assert redact(None) is None
    assert "secret" not in (redact("pk_test_verysecretkey") or "")


def test_bearer_auth_is_configurable() -> None:
    import re

    from mock_server.web.security import AuthFailure

    auth = BearerAuth(secret=re.compile(rb"key_[0-9]+"))
    assert auth.authenticate(b"Bearer key_42") == "key_42"
    with pytest.raises(AuthFailure):
        auth.authenticate(b"Bearer sk_test_abc")

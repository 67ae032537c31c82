"""Replies: the error table, strict response checks, 500s, request ids, CORS and the hook points."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mock_server.domain.kernel import (
    Conflict,
    IllegalTransition,
    Invalid,
    Issue,
    NotFound,
    TooLarge,
    Unauthorized,
)
from mock_server.web import Call, Exchange, Handler, Next, Reply, ResponseContractError
from tests.web.conftest import AUTH, AppFactory, TestClient, load_sample, response_schema


def _raising(error: BaseException) -> Handler:
    async def handler(call: Call) -> Reply:
        raise error

    return handler


class ThingMissing(NotFound):
    """A subclass defined elsewhere maps through its base."""

    def __init__(self) -> None:
        super().__init__("Thing", "t1")


# -- the error table -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (NotFound("Thing", "t1"), 404, {"error": "Thing not found"}),
        (ThingMissing(), 404, {"error": "Thing not found"}),
        (Conflict("Thing is active"), 409, {"error": "Thing is active"}),
        (IllegalTransition("sync", "PENDING", "resync"), 409, {"error": "sync: cannot resync from PENDING"}),
    ],
)
def test_domain_errors_map_through_one_table(
    make_app: AppFactory, error: Exception, status: int, body: dict[str, Any]
) -> None:
    handlers = {"getV1ThingsByThingId": _raising(error), "deleteV1ThingsByThingId": _raising(error)}
    with TestClient(make_app(handlers)) as client:
        method, path = ("DELETE", "/api/v1/things/t1") if status == 409 else ("GET", "/api/v1/things/t1")
        response = client.request(method, path, headers=AUTH)
        assert (response.status_code, response.json()) == (status, body)


def test_invalid_renders_in_each_family_validation_envelope(make_app: AppFactory) -> None:
    error = Invalid(
        "Rules are invalid", (Issue("rules.0.field", "Unknown field 'shoe'"), Issue("", "Too many rules"))
    )
    handlers = {"postV1Things": _raising(error), "postThings": _raising(error)}
    with TestClient(make_app(handlers)) as client:
        v1 = client.post("/api/v1/things", json={"name": "a"}, headers=AUTH)
        assert v1.status_code == 400
        assert v1.json() == {
            "error": "Validation failed",
            "message": "Rules are invalid",
            "details": [
                {"field": "rules.0.field", "message": "Unknown field 'shoe'"},
                {"field": "", "message": "Too many rules"},
            ],
        }
        sent = {"name": "a", "type": "DYNAMIC", "rules": [{"field": "shoe", "values": []}]}
        api = client.post("/api/things", json=sent, headers=AUTH)
        assert api.status_code == 400
        assert response_schema(load_sample(), "/api/things", "post", 400).is_valid(api.json())
        first, second = api.json()["issues"]
        assert [step["key"] for step in first["path"]] == ["rules", 0, "field"]
        assert first["received"] == '"shoe"'
        assert first["message"] == "Unknown field 'shoe'"
        assert second["path"] == []


def test_a_whole_request_business_rule_answers_with_its_message(make_app: AppFactory) -> None:
    # The guide documents these 400s as {"error": "<message>"} ("Audience is not a synced list"); the
    # reference's 400 allows {error} beside validation_error. Field-level Invalids keep the envelopes.
    with TestClient(make_app({"postThings": _raising(Invalid("Audience is not synced"))})) as client:
        response = client.post("/api/things", json={"name": "a", "type": "DYNAMIC"}, headers=AUTH)
        assert (response.status_code, response.json()) == (400, {"error": "Audience is not synced"})


def test_a_whole_request_invalid_reads_the_same_in_the_guide_family(make_app: AppFactory) -> None:
    with TestClient(make_app({"postV1Things": _raising(Invalid("Audience is not synced"))})) as client:
        response = client.post("/api/v1/things", json={"name": "a"}, headers=AUTH)
        assert (response.status_code, response.json()) == (400, {"error": "Audience is not synced"})


def test_unauthorized_is_401(make_app: AppFactory) -> None:
    with TestClient(make_app({"getV1ThingsByThingId": _raising(Unauthorized("Unknown key"))})) as client:
        response = client.get("/api/v1/things/t1", headers=AUTH)
        assert (response.status_code, response.json()) == (401, {"error": "Unknown key"})


def test_too_large_is_413(make_app: AppFactory) -> None:
    with TestClient(make_app({"postV1Things": _raising(TooLarge("CSV over 10 MB"))})) as client:
        response = client.post("/api/v1/things", json={"name": "a"}, headers=AUTH)
        assert (response.status_code, response.json()) == (413, {"error": "CSV over 10 MB"})


# -- strict responses and 500s ---------------------------------------------------------------------


async def _undeclared_status(call: Call) -> Reply:
    return Reply(202, {"id": "x", "name": "y"})


async def _bad_body(call: Call) -> Reply:
    return Reply(200, {"id": 7})


async def _body_on_204(call: Call) -> Reply:
    return Reply(204, {"deleted": True})


async def _wrong_media_type(call: Call) -> Reply:
    return Reply(200, "id,name\n", media_type="text/csv")


@pytest.mark.parametrize(
    ("handler", "method", "path", "message"),
    [
        (
            _undeclared_status,
            "GET",
            "/api/v1/things/t1",
            "getV1ThingsByThingId answered 202, which it does not declare",
        ),
        (
            _bad_body,
            "GET",
            "/api/v1/things/t1",
            "getV1ThingsByThingId answered 200 with a body that does not match",
        ),
        (_body_on_204, "DELETE", "/api/v1/things/t1", "deleteV1ThingsByThingId answered 204 with a body"),
        (_wrong_media_type, "GET", "/api/v1/things/t1", "answered 200 as text/csv"),
    ],
)
def test_strict_mode_raises_on_replies_the_spec_does_not_allow(
    make_app: AppFactory, handler: Handler, method: str, path: str, message: str
) -> None:
    handlers = {"getV1ThingsByThingId": handler, "deleteV1ThingsByThingId": handler}
    with TestClient(make_app(handlers)) as client, pytest.raises(ResponseContractError, match=message):
        client.request(method, path, headers=AUTH)


def test_strict_errors_name_the_first_schema_errors(make_app: AppFactory) -> None:
    with (
        TestClient(make_app({"getV1ThingsByThingId": _bad_body})) as client,
        pytest.raises(ResponseContractError) as caught,
    ):
        client.get("/api/v1/things/t1", headers=AUTH)
    assert "id: 7 is not of type" in str(caught.value)
    assert "name" in str(caught.value)


def test_without_strict_mode_replies_are_not_checked(make_app: AppFactory) -> None:
    with TestClient(make_app({"getV1ThingsByThingId": _bad_body}, strict_responses=False)) as client:
        assert client.get("/api/v1/things/t1", headers=AUTH).json() == {"id": 7}


def test_strict_checks_without_raising_answer_500(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app({"getV1ThingsByThingId": _bad_body}, strict_responses=True, raise_server_errors=False)
    with TestClient(app) as client:
        response = client.get("/api/v1/things/t1", headers={**AUTH, "X-Request-Id": "trace-1"})
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error", "requestId": "trace-1"}
    assert "getV1ThingsByThingId" in caplog.text
    assert "trace-1" in caplog.text


def test_unexpected_exceptions_are_loud_in_strict_mode(make_app: AppFactory) -> None:
    with (
        TestClient(make_app({"postV1Things": _raising(KeyError("boom"))})) as client,
        pytest.raises(KeyError),
    ):
        client.post("/api/v1/things", json={"name": "a"}, headers=AUTH)


def test_unexpected_exceptions_are_500_with_request_id_otherwise(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "mock_server.web")
    app = make_app({"postV1Things": _raising(KeyError("boom"))}, strict_responses=False)
    with TestClient(app) as client:
        response = client.post("/api/v1/things", json={"name": "a"}, headers=AUTH)
    assert response.status_code == 500
    body = response.json()
    assert body == {"error": "Internal server error", "requestId": response.headers["x-request-id"]}
    assert response_schema(load_sample(), "/api/v1/things", "post", 500).is_valid(body)
    assert "postV1Things failed" in caplog.text and "KeyError" in caplog.text


# -- request ids ----------------------------------------------------------------------------------


def test_request_ids_are_generated_unique_and_echoed_when_sane(client: TestClient) -> None:
    generated = {client.get("/api/open").headers["x-request-id"] for _ in range(5)}
    assert len(generated) == 5
    assert (
        client.get("/api/open", headers={"X-Request-Id": "abc-123.x:y_z"}).headers["x-request-id"]
        == "abc-123.x:y_z"
    )
    for insane in (b"a b", b"x" * 129, b"<script>", "é".encode()):
        echoed = client.get("/api/open", headers={"X-Request-Id": insane})
        assert echoed.headers["x-request-id"] != insane.decode("latin-1")
        assert echoed.headers["x-request-id"].startswith("req_")
    assert client.get("/nowhere").headers["x-request-id"]
    assert client.patch("/api/open").headers["x-request-id"]
    assert client.options("/api/open").headers["x-request-id"]


# -- CORS -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:3000",
        "http://127.0.0.1:5173",
        "http://localhost",
        "https://localhost:8443",
        "http://[::1]:8080",
    ],
)
def test_local_origins_are_answered_by_default(client: TestClient, origin: str) -> None:
    preflight = client.options(
        "/api/v1/things",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-methods"] == "GET, POST"
    allowed = {name.strip().lower() for name in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert preflight.headers["vary"] == "Origin"
    simple = client.get("/api/v1/things", headers={**AUTH, "Origin": origin})
    assert simple.headers["access-control-allow-origin"] == origin
    assert simple.headers["access-control-expose-headers"] == "X-Request-Id"
    errors = client.get("/api/v1/things", headers={"Origin": origin})
    assert errors.status_code == 401
    assert errors.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    "origin", ["http://example.com", "http://localhost.evil.com", "http://127.0.0.1.nip.io:80", "null"]
)
def test_other_origins_are_refused_by_default(client: TestClient, origin: str) -> None:
    preflight = client.options(
        "/api/v1/things", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    assert "not allowed" in preflight.json()["error"]
    simple = client.get("/api/v1/things", headers={**AUTH, "Origin": origin})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


def test_cors_origins_are_configurable(make_app: AppFactory) -> None:
    with TestClient(make_app(cors_origins="*")) as client:
        response = client.get("/api/open", headers={"Origin": "https://anywhere.example"})
        assert response.headers["access-control-allow-origin"] == "*"
    with TestClient(make_app(cors_origins=["https://app.example"])) as client:
        assert (
            client.get("/api/open", headers={"Origin": "https://app.example"}).headers[
                "access-control-allow-origin"
            ]
            == "https://app.example"
        )
        assert (
            "access-control-allow-origin"
            not in client.get("/api/open", headers={"Origin": "http://localhost:3000"}).headers
        )
    with TestClient(make_app(cors_origins=[])) as client:
        preflight = client.options(
            "/api/open", headers={"Origin": "http://localhost:1", "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code == 204
        assert "access-control-allow-origin" not in preflight.headers


# -- hooks ----------------------------------------------------------------------------------------


def test_arounds_wrap_everything_in_order_and_see_outcomes(make_app: AppFactory) -> None:
    seen: list[tuple[str, str | None, int, str, str | None]] = []

    async def journal(exchange: Exchange, call_next: Next) -> Reply:
        reply = await call_next(exchange)
        operation = exchange.operation.operation_id if exchange.operation else None
        seen.append(("journal", operation, reply.status, exchange.outcome, exchange.secret_key))
        return reply

    async def fault(exchange: Exchange, call_next: Next) -> Reply:
        if exchange.headers.get("x-fault") == "503":
            return Reply(503, {"error": "injected"})
        return await call_next(exchange)

    async def prefer(call: Call, handler: Handler) -> Reply:
        if call.headers.get("prefer") == "code=404":
            return Reply(404, {"error": "Thing not found"})
        return await handler(call)

    app = make_app(arounds=[journal, fault], call_arounds=[prefer])
    with TestClient(app) as client:
        assert client.get("/api/v1/things/t1", headers=AUTH).status_code == 200
        assert client.get("/api/v1/things/t1", headers={**AUTH, "Prefer": "code=404"}).status_code == 404
        assert client.get("/api/v1/things/t1", headers={**AUTH, "X-Fault": "503"}).status_code == 503
        assert client.get("/api/v1/things/t1").status_code == 401
        assert client.post("/api/v1/things", json={}, headers=AUTH).status_code == 400
        assert client.get("/api/v1/nope").status_code == 404
        assert client.patch("/api/v1/things").status_code == 405
    assert seen == [
        ("journal", "getV1ThingsByThingId", 200, "ok", "sk_test_abc123"),
        ("journal", "getV1ThingsByThingId", 404, "ok", "sk_test_abc123"),
        ("journal", "getV1ThingsByThingId", 503, "pending", None),
        ("journal", "getV1ThingsByThingId", 401, "unauthenticated", None),
        ("journal", "postV1Things", 400, "invalid", "sk_test_abc123"),
        ("journal", None, 404, "not_found", None),
        ("journal", None, 405, "method_not_allowed", None),
    ]


def test_call_around_replies_are_checked_in_strict_mode(make_app: AppFactory) -> None:
    async def bad_prefer(call: Call, handler: Handler) -> Reply:
        return Reply(418, {"error": "teapot"})

    with (
        TestClient(make_app(call_arounds=[bad_prefer])) as client,
        pytest.raises(ResponseContractError, match="418"),
    ):
        client.get("/api/v1/things/t1", headers=AUTH)


def test_asgi_middleware_wraps_the_app(make_app: AppFactory) -> None:
    def stamp(app: Any) -> Any:
        async def wrapped(scope: Any, receive: Any, send: Any) -> None:
            async def send_stamped(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], (b"x-stamp", b"1")]
                await send(message)

            await app(scope, receive, send_stamped)

        return wrapped

    with TestClient(make_app(middleware=[stamp])) as client:
        assert client.get("/api/open").headers["x-stamp"] == "1"


def test_state_reaches_handlers(make_app: AppFactory) -> None:
    world = object()
    seen: list[object] = []

    async def handler(call: Call) -> Reply:
        seen.append(call.state)
        return Reply(200, {})

    with TestClient(make_app({"getOpen": handler}, state=world)) as client:
        client.get("/api/open")
    assert seen == [world]


def test_handler_headers_are_sent_but_framing_is_the_shells(make_app: AppFactory) -> None:
    async def located(call: Call) -> Reply:
        return Reply(
            201,
            {"id": "t9", "name": "x"},
            headers={"Location": "/api/v1/things/t9", "Content-Length": "1", "Content-Type": "text/plain"},
        )

    with TestClient(make_app({"postV1Things": located})) as client:
        response = client.post("/api/v1/things", json={"name": "x"}, headers=AUTH)
    assert response.headers["location"] == "/api/v1/things/t9"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))


def test_204_has_no_body_and_no_framing_headers(client: TestClient) -> None:
    response = client.delete("/api/v1/things/t1", headers=AUTH)
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    assert response.headers["x-request-id"]

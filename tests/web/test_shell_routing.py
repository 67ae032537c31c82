"""Routing: literal-before-parameter precedence, percent-decoding, 404, 405 with Allow, OPTIONS, HEAD,
and the start-up refusals."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.web import Call, Reply, StartupError, build_app
from mock_server.web.routing import Router
from tests.web.conftest import AUTH, AppFactory, TestClient, load_sample, response_schema, sample_documents


@pytest.mark.parametrize(
    ("path", "operation_id", "params"),
    [
        ("/api/things/groups/g1", "getThingsGroupsByGroupId", {"groupId": "g1"}),
        ("/api/things/groups/members", "getThingsGroupsByGroupId", {"groupId": "members"}),
        ("/api/things/t1/members", "getThingsByThingIdMembers", {"thingId": "t1"}),
        # `groups` is literal at position 3 only when a literal route continues from it; else it is an id
        ("/api/things/groups/rules", "getThingsGroupsByGroupId", {"groupId": "rules"}),
        ("/api/things/import/klaviyo", "postThingsImportKlaviyo", {}),
        ("/api/things/import/import", "postThingsByThingIdImport", {"thingId": "import"}),
        ("/api/things/klaviyo/import", "postThingsByThingIdImport", {"thingId": "klaviyo"}),
    ],
)
def test_literal_segments_beat_parameters(
    client: TestClient, path: str, operation_id: str, params: dict[str, str]
) -> None:
    method = "post" if "import" in path else "get"
    response = client.request(method, path, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["operationId"] == operation_id
    assert response.json()["path"] == params


def test_a_matching_literal_path_shadows_parameter_paths_for_every_method(client: TestClient) -> None:
    response = client.put("/api/things/loyalty-tiers/g9", headers=AUTH)
    assert response.json()["operationId"] == "putThingsLoyaltyTiersByGroupId"
    assert response.json()["path"] == {"groupId": "g9"}
    # `/api/things/{thingId}/members` has a GET, but the path matches the literal template, which has
    # none: 405 (schemathesis probes undeclared methods on literal paths and wants exactly this)
    response = client.get("/api/things/loyalty-tiers/members", headers=AUTH)
    assert (response.status_code, response.headers["allow"]) == (405, "PUT")


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("a%20b", "a b"),
        ("a%2Fb", "a/b"),  # an encoded slash stays inside its segment
        ("%C3%A9t%C3%A9", "été"),
        ("aud_01HXYZ", "aud_01HXYZ"),
        ("%7Bid%7D", "{id}"),
        ("%FF", "\ufffd"),  # not UTF-8: replaced, still a plain (unknown) id
    ],
)
def test_path_parameters_are_percent_decoded(client: TestClient, raw: str, decoded: str) -> None:
    response = client.get(f"/api/things/{raw}/members", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["path"] == {"thingId": decoded}


@pytest.mark.parametrize(
    ("path", "family_error_path"),
    [
        ("/api/v1/nothing", "/api/v1/things/{thingId}"),
        ("/api/nothing", "/api/things/{thingId}/members"),
        ("/api/things/t1/members/extra", "/api/things/{thingId}/members"),
        ("/api/things//members", "/api/things/{thingId}/members"),  # an empty segment is no id
        ("/api/v1/things/", "/api/v1/things/{thingId}"),
    ],
)
def test_unknown_paths_are_404_in_the_family_envelope(
    client: TestClient, path: str, family_error_path: str
) -> None:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "Not found"  # with a `message` naming the closest route if one is near
    assert set(response.json()) <= {"error", "message"}
    assert response_schema(load_sample(), family_error_path, "get", 404).is_valid(response.json())
    assert response.headers["x-request-id"]


def test_unknown_path_outside_the_families_uses_the_catch_all_envelope(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/api/v1/things", "GET, POST"),
        ("DELETE", "/api/v1/things", "GET, POST"),
        ("PUT", "/api/v1/things/t1", "DELETE, GET"),
        ("TRACE", "/api/things/t1/import", "POST, PUT"),
        ("POST", "/_mock/clock/", None),  # trailing slash: unknown path, not a 405
    ],
)
def test_undeclared_method_is_405_with_exact_allow(
    client: TestClient, method: str, path: str, allow: str | None
) -> None:
    response = client.request(method, path, headers=AUTH)
    if allow is None:
        assert response.status_code == 404
        return
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert "error" in response.json()


def test_405_comes_before_auth(client: TestClient) -> None:
    response = client.patch("/api/v1/things")
    assert response.status_code == 405


def test_plain_options_lists_the_path_methods(client: TestClient) -> None:
    response = client.options("/api/things/t1/import")
    assert response.status_code == 204
    assert response.headers["allow"] == "POST, PUT"
    assert client.options("/api/unknown").status_code == 404


def test_head_is_answered_for_gets_without_a_body(client: TestClient) -> None:
    get = client.get("/api/v1/things/t1", headers=AUTH)
    head = client.head("/api/v1/things/t1", headers=AUTH)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert client.head("/api/v1/things/t1").status_code == 401
    assert client.head("/api/things/t1/import", headers=AUTH).status_code == 405


def test_query_string_is_not_part_of_the_path(client: TestClient) -> None:
    response = client.get("/api/things/t1/members?x=/y", headers=AUTH)
    assert response.json()["path"] == {"thingId": "t1"}


def _noop_handlers(documents: list[dict[str, Any]]) -> dict[str, Any]:
    from tests.web.conftest import echo, operation_ids

    return {operation_id: echo for operation_id in operation_ids(documents)}


def test_startup_refuses_an_operation_without_a_handler() -> None:
    documents = sample_documents()
    handlers = _noop_handlers(documents)
    del handlers["getThingsGroupsByGroupId"], handlers["postMockClock"]
    with pytest.raises(StartupError, match="without a handler: getThingsGroupsByGroupId, postMockClock"):
        build_app(documents=documents, handlers=handlers, state=None)


def test_startup_refuses_a_handler_without_an_operation() -> None:
    documents = sample_documents()
    handlers = _noop_handlers(documents)

    async def stray(call: Call) -> Reply:
        return Reply(200)

    handlers["getGhosts"] = stray
    with pytest.raises(StartupError, match="handlers without an operation: getGhosts"):
        build_app(documents=documents, handlers=handlers, state=None)


def test_startup_names_both_kinds_at_once() -> None:
    documents = sample_documents()
    handlers = _noop_handlers(documents)
    handlers["getGhosts"] = handlers.pop("getOpen")
    with pytest.raises(StartupError) as caught:
        build_app(documents=documents, handlers=handlers, state=None)
    assert "getOpen" in str(caught.value)
    assert "getGhosts" in str(caught.value)


def test_startup_refuses_duplicate_operation_ids(make_app: AppFactory) -> None:
    documents = sample_documents()
    documents[1]["paths"]["/_mock/other"] = {"get": {"operationId": "getOpen", "responses": {}}}
    with pytest.raises(StartupError, match="operationId 'getOpen' is used by"):
        make_app(documents=documents)


def test_router_backtracks_to_a_parameter_branch() -> None:
    router: Router[str] = Router()
    for template in ("/a/literal/x", "/a/{id}/y", "/a/{id}", "/a/literal"):
        router.add(template).methods["GET"] = template
    assert router.match(b"/a/literal/x")[0].template == "/a/literal/x"  # type: ignore[index]
    assert router.match(b"/a/literal/y") == (router.entries["/a/{id}/y"], {"id": "literal"})
    assert router.match(b"/a/literal")[0].template == "/a/literal"  # type: ignore[index]
    assert router.match(b"/a/other") == (router.entries["/a/{id}"], {"id": "other"})
    assert router.match(b"/a/%6Citeral") == (router.entries["/a/literal"], {})
    assert router.match(b"/a/literal/z") is None
    assert router.match(b"no-slash") is None
    with pytest.raises(ValueError, match="same route"):
        router.add("/a/{other}/y")

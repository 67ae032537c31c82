"""Request validation: every body failure class and parameter coercion, in each family's envelope,
each envelope checked against the schema its family declares for that status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.conftest import AUTH, CONTROL, TestClient, load_sample, response_schema

#: (family, path, document, a valid body)
FAMILIES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("v1", "/api/v1/things", "sample", {"name": "a"}),
    ("api", "/api/things", "sample", {"name": "a", "type": "DYNAMIC"}),
    ("mock", "/_mock/clock", "control", {"advanceSeconds": 1}),
]


def _document(name: str) -> dict[str, Any]:
    return load_sample() if name == "sample" else CONTROL


def _check_envelope(
    family: str, path: str, document: str, response: httpx.Response, status: int
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    validator = response_schema(_document(document), path, "post", status)
    assert validator.is_valid(body), (body, [e.message for e in validator.iter_errors(body)])
    if status == 400:
        if family == "api":
            assert body["error"] == "validation_error"
            assert body["issues"]
        else:
            assert body["error"] == "Validation failed"
            assert body["details"]
    return body


def _chunks(total: int, size: int = 65536) -> Iterator[bytes]:
    sent = 0
    yield b'{"name": "'
    while sent < total:
        yield b"a" * size
        sent += size
    yield b'"}'


def _deep(levels: int) -> bytes:
    return (
        b'{"name": "a", "type": "DYNAMIC", "advanceSeconds": 1, "metadata": '
        + b'{"a": ' * levels
        + b"1"
        + b"}" * levels
        + b"}"
    )


CASES: list[tuple[str, dict[str, Any], int]] = [
    ("wrong content type", {"content": b'{"name": "a"}', "headers": {"Content-Type": "text/plain"}}, 415),
    ("form content type", {"data": {"name": "a"}}, 415),
    ("no content type", {"content": b'{"name": "a"}', "headers": {"Content-Type": ""}}, 415),
    (
        "oversized, declared",
        {"content": b"[" + b"0," * 600_000 + b"0]", "headers": {"Content-Type": "application/json"}},
        413,
    ),
    ("oversized, chunked", {"content": _chunks, "headers": {"Content-Type": "application/json"}}, 413),
    ("malformed JSON", {"content": b'{"name": ', "headers": {"Content-Type": "application/json"}}, 400),
    (
        "trailing garbage",
        {"content": b'{"name": "a"} x', "headers": {"Content-Type": "application/json"}},
        400,
    ),
    (
        "invalid UTF-8",
        {"content": b'{"name": "\xff\xfe"}', "headers": {"Content-Type": "application/json"}},
        400,
    ),
    (
        "lone surrogate",
        {"content": b'{"name": "\\ud800"}', "headers": {"Content-Type": "application/json"}},
        400,
    ),
    ("deep nesting", {"content": _deep(100), "headers": {"Content-Type": "application/json"}}, 400),
    ("deeper than orjson", {"content": _deep(2000), "headers": {"Content-Type": "application/json"}}, 400),
    (
        "huge array",
        {
            "content": b'{"name": "a", "metadata": {"x": [' + b"0," * 20_000 + b"0]}}",
            "headers": {"Content-Type": "application/json"},
        },
        413,
    ),
    ("wrong types", {"json": {"name": 5, "type": 5, "size": "x", "advanceSeconds": "x"}}, 400),
    ("missing required", {"json": {"size": 1, "now": None}}, 400),
    ("empty body", {"content": b"", "headers": {"Content-Type": "application/json"}}, 400),
    ("no body at all", {}, 400),
    ("not an object", {"json": [1, 2]}, 400),
    ("null", {"json": None}, 400),
]


@pytest.mark.parametrize(("family", "path", "document", "valid"), FAMILIES, ids=[f[0] for f in FAMILIES])
@pytest.mark.parametrize(("case", "request_kwargs", "status"), CASES, ids=[c[0] for c in CASES])
def test_body_failures_get_a_4xx_in_the_family_envelope(
    client: TestClient,
    family: str,
    path: str,
    document: str,
    valid: dict[str, Any],
    case: str,
    request_kwargs: dict[str, Any],
    status: int,
) -> None:
    kwargs = dict(request_kwargs)
    headers = {**AUTH, **kwargs.pop("headers", {})}
    if headers.get("Content-Type") == "":
        del headers["Content-Type"]
    if callable(kwargs.get("content")):
        kwargs["content"] = kwargs["content"](2 * 1024 * 1024)
    response = client.post(path, headers=headers, **kwargs)
    _check_envelope(family, path, document, response, status)


@pytest.mark.parametrize(("family", "path", "document", "valid"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_valid_bodies_pass(
    client: TestClient, family: str, path: str, document: str, valid: dict[str, Any]
) -> None:
    response = client.post(path, json=valid, headers=AUTH)
    assert response.status_code in (200, 201), response.text
    variants = ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"]
    for content_type in variants:
        response = client.post(
            path,
            content=httpx.Request("POST", "/", json=valid).content,
            headers={**AUTH, "Content-Type": content_type},
        )
        assert response.status_code in (200, 201), (content_type, response.text)


def test_v1_details_name_each_field(client: TestClient) -> None:
    response = client.post("/api/v1/things", json={"size": -1, "tags": ["a", 2], "extra": 1}, headers=AUTH)
    body = _check_envelope("v1", "/api/v1/things", "sample", response, 400)
    fields = {detail["field"]: detail["message"] for detail in body["details"]}
    assert fields == {
        "name": 'Invalid key: Expected "name" but received undefined',
        "extra": 'Invalid key: Expected never but received "extra"',
        "size": "Invalid value: Expected >=0 but received -1",
        "tags.1": "Invalid type: Expected string but received 2",
    }


def test_api_issues_follow_valibot(client: TestClient) -> None:
    sent = {
        "name": "",
        "type": "STATIC",
        "groupId": "nope",
        "rules": [{"field": "email", "values": ["a", {}]}],
    }
    response = client.post("/api/things", json=sent, headers=AUTH)
    body = _check_envelope("api", "/api/things", "sample", response, 400)
    issues = {tuple(step["key"] for step in issue["path"]): issue for issue in body["issues"]}
    assert issues[("name",)] == {
        "kind": "validation",
        "type": "min_length",
        "expected": ">=1",
        "received": "0",
        "message": "Invalid length: Expected >=1 but received 0",
        "path": [{"type": "object", "origin": "value", "input": sent, "key": "name"}],
    }
    assert issues[("type",)]["expected"] == '"DYNAMIC" | "STATIC_LIST"'
    assert issues[("type",)]["received"] == '"STATIC"'
    assert issues[("groupId",)]["type"] == "uuid"
    deep = issues[("rules", 0, "values", 1)]
    assert [step["type"] for step in deep["path"]] == ["object", "array", "object", "array"]
    assert deep["path"][3]["input"] == ["a", {}]
    assert deep["expected"] == "string | number | null"
    assert deep["received"] == "Object"


def test_api_missing_key_issue_has_origin_key(client: TestClient) -> None:
    response = client.post("/api/things", json={"type": "DYNAMIC"}, headers=AUTH)
    issue = _check_envelope("api", "/api/things", "sample", response, 400)["issues"][0]
    assert issue["path"] == [{"type": "object", "origin": "key", "input": {"type": "DYNAMIC"}, "key": "name"}]
    assert issue["received"] == "undefined"


def test_large_inputs_are_not_echoed_back(client: TestClient) -> None:
    sent = {"name": 5, "type": "DYNAMIC", "metadata": {"blob": "x" * 5000}}
    response = client.post("/api/things", json=sent, headers=AUTH)
    issue = _check_envelope("api", "/api/things", "sample", response, 400)["issues"][0]
    assert issue["path"][0]["input"] is None
    assert len(response.content) < 1000


def test_many_errors_are_capped(client: TestClient) -> None:
    sent = {"name": "a", "type": "DYNAMIC", "rules": [{"field": 1, "values": 1}] * 50}
    response = client.post("/api/things", json=sent, headers=AUTH)
    assert len(_check_envelope("api", "/api/things", "sample", response, 400)["issues"]) == 20


def test_limits_are_configurable(make_app: Any) -> None:
    with TestClient(make_app(max_json_body=100, max_json_depth=3, max_json_items=2)) as client:
        assert client.post("/api/v1/things", json={"name": "a" * 200}, headers=AUTH).status_code == 413
        assert (
            client.post(
                "/api/v1/things", json={"name": "a", "metadata": {"a": {"b": {}}}}, headers=AUTH
            ).status_code
            == 400
        )
        assert (
            client.post("/api/v1/things", json={"name": "a", "metadata": {"a": {}}}, headers=AUTH).status_code
            == 201
        )
        assert (
            client.post(
                "/api/v1/things", json={"name": "a", "tags": ["a", "b", "c"]}, headers=AUTH
            ).status_code
            == 413
        )


def test_a_body_on_an_operation_without_one_is_ignored(client: TestClient) -> None:
    response = client.post(
        "/api/things/import/klaviyo", content=b"\xff{{{", headers={**AUTH, "Content-Type": "text/x"}
    )
    assert response.status_code == 200
    assert response.json()["body"] is None


def test_csv_bodies_stream_to_the_handler_unbounded_by_the_json_limit(client: TestClient) -> None:
    def rows() -> Iterator[bytes]:
        yield b"email\n"
        for _ in range(40):
            yield b"a@example.com\n" * 4096

    response = client.put(
        "/api/things/t1/import", content=rows(), headers={**AUTH, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"bytes": 6 + 40 * 4096 * 14}
    response = client.put(
        "/api/things/t1/import", content=b"a,b\n", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json() == {"error": "Unsupported Content-Type text/plain: expected text/csv"}
    response = client.put("/api/things/t1/import", headers=AUTH)
    assert response.status_code == 400


# -- parameters ----------------------------------------------------------------------------------


def _query(client: TestClient, query: str, **headers: str) -> httpx.Response:
    return client.get(f"/api/v1/things{query}", headers={**AUTH, **headers})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"first": 20}),
        ("?first=5", {"first": 5}),
        ("?first=100&after=abc", {"first": 100, "after": "abc"}),
        ("?tag=red&tag=blue", {"first": 20, "tag": ["red", "blue"]}),
        ("?tag=red", {"first": 20, "tag": ["red"]}),
        ("?active=true&ratio=0.5", {"first": 20, "active": True, "ratio": 0.5}),
        ("?active=false&ratio=2", {"first": 20, "active": False, "ratio": 2}),
        ("?ratio=1e2", {"first": 20, "ratio": 100.0}),
        ("?after=a+b%20c", {"first": 20, "after": "a b c"}),
        ("?unknown=1&first=3", {"first": 3}),
        ("?first=1&first=2", {"first": 1}),
        ("?after=", {"first": 20, "after": ""}),
    ],
)
def test_query_parameters_are_coerced_with_defaults(
    client: TestClient, query: str, expected: dict[str, Any]
) -> None:
    response = _query(client, query)
    assert response.status_code == 200, response.text
    assert response.json()["query"] == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?first=0", "first"),
        ("?first=101", "first"),
        ("?first=abc", "first"),
        ("?first=1.5", "first"),
        ("?first=", "first"),
        ("?first=1_0", "first"),
        ("?first=%201", "first"),
        ("?active=yes", "active"),
        ("?active=1", "active"),
        ("?ratio=0", "ratio"),
        ("?ratio=nan", "ratio"),
        ("?tag=green", "tag.0"),
        ("?tag=red&tag=red&tag=red&tag=red", "tag"),
        ("?after=" + "x" * 51, "after"),
    ],
)
def test_invalid_query_parameters_are_400(client: TestClient, query: str, field: str) -> None:
    response = _query(client, query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert response_schema(load_sample(), "/api/v1/things", "get", 400).is_valid(body)
    assert [detail["field"] for detail in body["details"]] == [field]


def test_header_parameters_are_validated(client: TestClient) -> None:
    assert _query(client, "", **{"X-Trace": "abc"}).status_code == 200
    response = _query(client, "", **{"X-Trace": "ABC"})
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "X-Trace"


def test_api_family_query_issues(make_app: Any) -> None:
    from tests.web.conftest import sample_documents

    documents = sample_documents()
    documents[0]["paths"]["/api/things/{thingId}/members"]["get"]["parameters"] = [
        {"name": "first", "in": "query", "schema": {"type": "integer", "maximum": 100}}
    ]
    documents[0]["paths"]["/api/things/{thingId}/members"]["get"]["responses"]["400"] = {
        "$ref": "#/components/responses/ApiValidationError"
    }
    with TestClient(make_app(documents=documents)) as client:
        response = client.get("/api/things/t1/members?first=abc", headers=AUTH)
        assert response.status_code == 400
        issue = response.json()["issues"][0]
        assert issue["path"] == [
            {"type": "object", "origin": "value", "input": {"first": "abc"}, "key": "first"}
        ]
        assert issue["message"] == 'Invalid type: Expected integer but received "abc"'


def test_explicit_allow_empty_value_false_rejects_empty_values(make_app: Any) -> None:
    from tests.web.conftest import sample_documents

    documents = sample_documents()
    parameters = documents[0]["paths"]["/api/v1/things"]["get"]["parameters"]
    next(p for p in parameters if p["name"] == "after")["allowEmptyValue"] = False
    with TestClient(make_app(documents=documents)) as client:
        response = client.get("/api/v1/things?after=", headers=AUTH)
        assert response.status_code == 400
        expected = [{"field": "after", "message": 'Invalid value: Expected a value but received ""'}]
        assert response.json()["details"] == expected
        assert client.get("/api/v1/things?after=x", headers=AUTH).status_code == 200

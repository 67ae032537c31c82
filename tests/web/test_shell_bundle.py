"""The shell over the real bundled documents: every operation's shell-made answers (401, 400, 413, 415,
405, 404) are ones that operation declares, in its family's envelope. Strict mode is the oracle: a reply
the spec does not allow raises `ResponseContractError` here."""

from __future__ import annotations

from typing import Any

import pytest

import fanfare_spec
from mock_server.web import Call, Reply, build_app
from mock_server.web.operations import HTTP_METHODS
from tests.web.conftest import AUTH, TestClient

# The bundles are committed: a missing one is a failure, never a skip.
assert all(fanfare_spec.path_of(name).is_file() for name in fanfare_spec.DOCUMENTS), "run fanfare_spec bundle"


async def _unreachable(call: Call) -> Reply:  # pragma: no cover - no request here reaches a handler
    raise AssertionError(f"{call.operation.operation_id} was called")


def _operations(documents: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    return [
        (method.upper(), path, definition, document)
        for document in documents
        for path, item in document["paths"].items()
        for method, definition in item.items()
        if method in HTTP_METHODS
    ]


@pytest.fixture(scope="module")
def bundle() -> tuple[list[dict[str, Any]], Any]:
    documents = [fanfare_spec.load(name) for name in fanfare_spec.DOCUMENTS]
    handlers = {definition["operationId"]: _unreachable for *_, definition, _ in _operations(documents)}
    return documents, build_app(documents=documents, handlers=handlers, state=None)


def _concrete(path: str, document: dict[str, Any] | None = None) -> str:
    """The template with each `{param}` filled: the first enum value if the parameter has one."""
    item = (document or {}).get("paths", {}).get(path, {})
    enums: dict[str, str] = {}
    for definition in [item, *item.values()]:
        for parameter in definition.get("parameters", []) if isinstance(definition, dict) else []:
            while "$ref" in parameter:
                parameter = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]  # type: ignore[index]
            if parameter.get("in") == "path" and "enum" in parameter.get("schema", {}):
                enums[parameter["name"]] = parameter["schema"]["enum"][0]
    for name, value in enums.items():
        path = path.replace("{" + name + "}", value)
    return path.replace("{", "x-").replace("}", "")


def test_build_app_on_the_real_bundle_routes_every_operation() -> None:
    # How long this takes is a start-up figure (bench/throughput.py prints start to first 2xx), not a test.
    documents = [fanfare_spec.load(name) for name in fanfare_spec.DOCUMENTS]
    handlers = {definition["operationId"]: _unreachable for *_, definition, _ in _operations(documents)}
    app = build_app(documents=documents, handlers=handlers, state=None)
    assert len(app.operations) == len(handlers)


def test_every_secured_operation_answers_401_as_declared(bundle: tuple[list[dict[str, Any]], Any]) -> None:
    documents, app = bundle
    checked = 0
    with TestClient(app) as client:
        for method, path, definition, document in _operations(documents):
            security = definition.get("security", document.get("security"))
            if not security or {} in security:  # open, or optional (the control plane on loopback)
                continue
            for headers in ({}, {"Authorization": "Bearer pk_test_1"}, {"Authorization": "Basic x"}):
                response = client.request(method, _concrete(path), headers=headers, content=b"{bad")
                assert response.status_code == 401, (method, path, response.text)
            checked += 1
    assert checked > 40


def test_every_body_failure_is_declared_by_its_operation(bundle: tuple[list[dict[str, Any]], Any]) -> None:
    documents, app = bundle
    checked = 0
    json_headers = {**AUTH, "Content-Type": "application/json"}
    with TestClient(app) as client:
        for method, path, definition, document in _operations(documents):
            content = (definition.get("requestBody") or {}).get("content", {})
            if "application/json" not in content:
                continue
            url = _concrete(path, document)
            cases = [
                (b"{bad", json_headers, 400),
                (b'{"a": "\xff"}', json_headers, 400),
                (b"[" * 100 + b"]" * 100, json_headers, 400),
                (b"x" * (1024 * 1024 + 1), json_headers, 413),
                (b"{}", {**AUTH, "Content-Type": "text/plain"}, 415),
            ]
            if definition["requestBody"].get("required"):
                cases.append((b"", json_headers, 400))
            for body, headers, status in cases:
                response = client.request(method, url, headers=headers, content=body)
                assert response.status_code == status, (method, path, status, response.text)
            checked += 1
    assert checked > 20


def test_undeclared_methods_are_405_everywhere(bundle: tuple[list[dict[str, Any]], Any]) -> None:
    documents, app = bundle
    with TestClient(app) as client:
        for document in documents:
            for path, item in document["paths"].items():
                declared = sorted(method.upper() for method in item if method in HTTP_METHODS)
                for method in ("GET", "PUT", "POST", "DELETE", "PATCH", "TRACE"):
                    if method in declared:
                        continue
                    response = client.request(method, _concrete(path), headers=AUTH)
                    if response.status_code == 200 and method == "GET":  # pragma: no cover
                        continue
                    assert response.status_code == 405, (method, path, response.status_code)
                    assert response.headers["allow"] == ", ".join(declared)


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/api/v1/nothing", {"error": "Not found"}),
        ("/api/nothing", {"error": "Not found"}),
        ("/_mock/nothing", {"error": "Not found"}),
    ],
)
def test_unknown_paths_are_404(
    bundle: tuple[list[dict[str, Any]], Any], path: str, error: dict[str, str]
) -> None:
    with TestClient(bundle[1]) as client:
        response = client.get(path, headers=AUTH)
        assert (response.status_code, response.json()) == (404, error)

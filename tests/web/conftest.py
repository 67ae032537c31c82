"""Fixtures for the web shell's tests: the sample documents, echo handlers and an app factory."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
import yaml

from mock_server.client import InProcessClient
from mock_server.web import Call, Handler, Reply, build_app
from mock_server.web.shell import Shell

HERE = Path(__file__).resolve().parent
KEY = "sk_test_abc123"
AUTH = {"Authorization": f"Bearer {KEY}"}

#: A second, key-less document standing in for the control plane (the "mock" family).
CONTROL: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "control sample", "version": "1"},
    "security": [],
    "paths": {
        "/_mock/clock": {
            "post": {
                "operationId": "postMockClock",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "minProperties": 1,
                                "properties": {
                                    "now": {"type": "string", "format": "date-time"},
                                    "advanceSeconds": {"type": "number", "minimum": 0},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "400": {"$ref": "#/components/responses/Error"},
                    "413": {"$ref": "#/components/responses/Error"},
                    "415": {"$ref": "#/components/responses/Error"},
                },
            }
        }
    },
    "components": {
        "responses": {
            "Error": {
                "description": "An error",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["error"],
                            "properties": {
                                "error": {"type": "string"},
                                "details": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["field", "message"],
                                        "properties": {
                                            "field": {"type": "string"},
                                            "message": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        }
                    }
                },
            }
        }
    },
}

_SUCCESS = {"POST": 200, "PUT": 200, "GET": 200, "DELETE": 204}


@functools.cache
def _sample_json() -> bytes:
    return orjson.dumps(yaml.safe_load((HERE / "sample.yaml").read_text(encoding="utf-8")))


def load_sample() -> dict[str, Any]:
    """A fresh copy of the sample document (tests may edit it)."""
    return orjson.loads(_sample_json())  # type: ignore[no-any-return]


def sample_documents() -> list[dict[str, Any]]:
    return [load_sample(), orjson.loads(orjson.dumps(CONTROL))]


def operation_ids(documents: list[dict[str, Any]]) -> list[str]:
    return [
        definition["operationId"]
        for document in documents
        for item in document["paths"].values()
        for definition in item.values()
        if isinstance(definition, dict) and "operationId" in definition
    ]


async def echo(call: Call) -> Reply:
    """Answers what the shell handed over, with the operation's success status."""
    operation = call.operation
    if operation.operation_id == "postV1Things":
        return Reply(201, {"id": "thing_1", "name": call.body["name"]})
    if operation.operation_id == "postThings":
        return Reply(200, {"id": "0190f2a8-7b6e-7c3d-8a9e-123456789abc", "name": call.body["name"]})
    if operation.operation_id == "getV1Things":
        return Reply(200, {"data": [], "query": call.query, "headers": dict(call.headers)})
    if operation.operation_id == "getV1ThingsByThingId":
        return Reply(200, {"id": call.path_params["thingId"], "name": "a thing"})
    if operation.operation_id == "putThingsByThingIdImport":
        size = 0
        async for chunk in call.receive_chunks():
            size += len(chunk)
        return Reply(200, {"bytes": size})
    body = (
        None
        if _SUCCESS[operation.method] == 204
        else {
            "operationId": operation.operation_id,
            "family": operation.family,
            "path": call.path_params,
            "query": call.query,
            "body": call.body,
            "secretKey": call.secret_key,
        }
    )
    return Reply(_SUCCESS[operation.method], body)


AppFactory = Callable[..., Shell]


@pytest.fixture
def make_app() -> AppFactory:
    def factory(handlers: dict[str, Handler] | None = None, **options: Any) -> Shell:
        documents = options.pop("documents", None) or sample_documents()
        table: dict[str, Handler] = {operation_id: echo for operation_id in operation_ids(documents)}
        table.update(handlers or {})
        return build_app(documents=documents, handlers=table, state=options.pop("state", None), **options)

    return factory


class TestClient(InProcessClient):
    """The package's in-process client, at Starlette's test base URL.

    (Starlette's own TestClient warns about httpx, and the suite keeps warnings as errors.)
    """

    __test__ = False

    def __init__(self, app: Any, base_url: str = "http://testserver") -> None:
        super().__init__(app, base_url=base_url)


@pytest.fixture
def client(make_app: AppFactory) -> Iterator[TestClient]:
    with TestClient(make_app()) as test_client:
        yield test_client


def response_schema(document: dict[str, Any], path: str, method: str, status: int) -> jsonschema_rs.Validator:
    """The JSON schema the document declares for one response, as a validator (refs resolved)."""
    response = document["paths"][path][method]["responses"][str(status)]
    while "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": document.get("components", {})})

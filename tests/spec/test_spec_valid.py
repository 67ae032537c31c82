"""The bundled documents are valid OpenAPI 3.1, load in openapi-core, compile in jsonschema-rs, and are
not stale with respect to their YAML sources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from openapi_core import OpenAPI
from openapi_spec_validator import validate

import fanfare_spec

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def test_bundle_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


def test_openapi_core_loads_the_bundle(spec: dict[str, Any]) -> None:
    OpenAPI.from_dict(spec)


@pytest.mark.parametrize("name", fanfare_spec.DOCUMENTS)
def test_committed_bundle_is_fresh(name: str) -> None:
    fresh = fanfare_spec.bundle(name)
    # A YAML scalar such as an unquoted timestamp would load as a datetime: the round trip catches it.
    assert json.loads(json.dumps(fresh)) == fresh
    assert fanfare_spec.load(name) == fresh, (
        f"openapi/{name}.json is stale: run `python -m fanfare_spec bundle` and commit the result"
    )


def test_mock_document_is_valid() -> None:
    mock = fanfare_spec.load("mock")
    validate(mock)
    OpenAPI.from_dict(mock)


def _schemas(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        yield f"components/schemas/{name}", schema
    for kind in ("parameters", "responses", "requestBodies"):
        for name, item in spec.get("components", {}).get(kind, {}).items():
            if "schema" in item:
                yield f"components/{kind}/{name}", item["schema"]
            for media_type, media in item.get("content", {}).items():
                yield f"components/{kind}/{name} {media_type}", media.get("schema", {})
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            label = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                if "schema" in param:
                    yield f"{label} parameter {param['name']}", param["schema"]
            for media in op.get("requestBody", {}).get("content", {}).values():
                yield f"{label} request", media.get("schema", {})
            for status, response in op.get("responses", {}).items():
                for media in response.get("content", {}).values():
                    yield f"{label} {status}", media.get("schema", {})


def test_every_schema_compiles_with_jsonschema_rs(spec: dict[str, Any]) -> None:
    failures = []
    count = 0
    for where, schema in _schemas(spec):
        count += 1
        try:
            jsonschema_rs.validator_for({**schema, "components": spec["components"]}, validate_formats=True)
        except Exception as error:  # any compile error, whatever its class
            failures.append(f"{where}: {error}")
    assert count > 100
    assert not failures, "\n".join(failures)


def _examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    def from_media(label: str, media: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
        schema = media.get("schema")
        if schema is None:
            return
        if "example" in media:
            yield label, schema, media["example"]
        for name, example in media.get("examples", {}).items():
            if "value" in example:
                yield f"{label} ({name})", schema, example["value"]

    components = spec.get("components", {})
    for name, response in components.get("responses", {}).items():
        for media in response.get("content", {}).values():
            yield from from_media(f"components/responses/{name}", media)
    for name, param in components.get("parameters", {}).items():
        if "example" in param and "schema" in param:
            yield f"components/parameters/{name}", param["schema"], param["example"]
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            label = f"{method.upper()} {path}"
            for media in op.get("requestBody", {}).get("content", {}).values():
                yield from from_media(f"{label} request", media)
            for status, response in op.get("responses", {}).items():
                for media in response.get("content", {}).values():
                    yield from from_media(f"{label} {status}", media)


def test_examples_in_the_spec_match_their_schemas(spec: dict[str, Any], compile_schema: Any) -> None:
    failures = []
    for where, schema, value in _examples(spec):
        errors = [error.message for error in compile_schema(schema).iter_errors(value)]
        if errors:
            failures.append(f"{where}: {errors}")
    assert not failures, "\n".join(failures)

"""Fixtures for the spec tests: the bundled document, once, and JSON Schema validators against it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest

import fanfare_spec

Validator = Callable[[Any], Any]


def rooted(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A schema taken out of the document, with the document's components beside it.

    Every `$ref` in the spec is `#/components/...`, so placing `components` at the root of the schema
    makes those references resolve without a custom retriever.
    """
    return {**schema, "components": spec.get("components", {})}


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return fanfare_spec.load()


@pytest.fixture(scope="session")
def compile_schema(spec: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
    """Compile a schema from the bundle with jsonschema-rs, formats checked (as the mock does)."""
    cache: dict[int, Any] = {}

    def compile_(schema: dict[str, Any]) -> Any:
        key = id(schema)
        if key not in cache:
            cache[key] = jsonschema_rs.validator_for(rooted(schema, spec), validate_formats=True)
        return cache[key]

    return compile_

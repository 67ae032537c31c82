"""The success examples are recorded from the mock's own world (`fanfare-mock spec --record-examples`),
current, on every success response of both documents, valid against their schemas, and named uniquely
per operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

import fanfare_spec
from mock_server.examples import EXAMPLES_FILE, record, render

METHODS = ("get", "put", "post", "delete", "patch")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def media_of(
    document: dict[str, Any], operation: dict[str, Any]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for status, response in operation["responses"].items():
        for media_type, media in (resolved(document, response).get("content") or {}).items():
            yield status, media_type, media


def test_the_committed_examples_are_what_the_mock_answers_today() -> None:
    """Re-recorded in memory from a fresh mock, the examples file is byte for byte the committed one."""
    committed = (fanfare_spec.source_dir() / EXAMPLES_FILE).read_text(encoding="utf-8")
    assert render(record()) == committed, (
        f"openapi/src/{EXAMPLES_FILE} is stale: run `fanfare-mock spec --record-examples` and commit"
    )


@pytest.mark.parametrize("name", fanfare_spec.DOCUMENTS)
def test_every_success_response_of_every_operation_has_an_example(name: str) -> None:
    document = fanfare_spec.load(name)
    missing = [
        f"{where} {status} {media_type}"
        for where, operation in operations(document)
        for status, media_type, media in media_of(document, operation)
        if status.startswith("2") and not media.get("examples") and "example" not in media
    ]
    assert not missing, f"success responses without an example: {missing}"


@pytest.mark.parametrize("name", fanfare_spec.DOCUMENTS)
def test_every_example_validates_against_its_schema(name: str) -> None:
    document = fanfare_spec.load(name)
    components = document.get("components", {})
    problems: list[str] = []
    checked = 0
    for where, operation in operations(document):
        for status, media_type, media in media_of(document, operation):
            if "json" not in media_type or "schema" not in media:
                continue
            validator = jsonschema_rs.validator_for(
                {**media["schema"], "components": components}, validate_formats=True
            )
            named = {
                example: resolved(document, value) for example, value in (media.get("examples") or {}).items()
            }
            if "example" in media:
                named[""] = {"value": media["example"]}
            for example, value in named.items():
                if "value" not in value:
                    continue
                checked += 1
                problems += [
                    f"{where} {status} {example or '(example)'}: {error.instance_path} {error.message}"
                    for error in validator.iter_errors(value["value"])
                ]
    assert checked > 40
    assert not problems, problems


@pytest.mark.parametrize("name", fanfare_spec.DOCUMENTS)
def test_example_names_are_unique_per_operation(name: str) -> None:
    """`Prefer: example=NAME` names one answer of the operation, whatever its status."""
    document = fanfare_spec.load(name)
    clashes = []
    for where, operation in operations(document):
        seen: dict[str, str] = {}
        for status, media_type, media in media_of(document, operation):
            for example in media.get("examples") or {}:
                if example in seen and seen[example] != f"{status} {media_type}":
                    clashes.append(f"{where}: {example!r} in {seen[example]} and {status} {media_type}")
                seen[example] = f"{status} {media_type}"
    assert not clashes, clashes

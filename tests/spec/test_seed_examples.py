"""Every example in the five seed pages validates against the bundled spec.

The seed pages (DESIGN section 2), carried in the repository as `tests/fixtures/seeds/`, hold two styles
of page. The guide pages (000, 004; 002 is 000 stripped of its examples) show curl commands on
`/api/v1/...`, a request body in `-d '...'`, and the JSON answer after `Response:`. The reference pages
(001, 003) show one Mintlify curl sample on `/api/...` with its `--data` body, followed directly by a
response sample. Each example is mapped to its operation by the curl line's method and path, and checked
against that operation's request schema or success-response schema. The number of examples found in each
file is asserted, so none is silently skipped.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import referencing
from referencing.jsonschema import DRAFT202012

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
GUIDE, REFERENCE = "guide", "reference"
STYLE = {"000": GUIDE, "001": REFERENCE, "002": GUIDE, "003": REFERENCE, "004": GUIDE}

#: What each page holds. `curls` counts every curl command; `foreign` the ones that do not call the
#: Admin API (000 uploads the CSV to the pre-signed S3 URL: that target is the mock's own document);
#: `elided` counts the guide's `[...]` and `...` placeholders the parser rewrote.
COUNTED = ("curls", "foreign", "requests", "responses", "queries", "elided", "documents")
EXPECTED = {
    "000": (15, 1, 5, 7, 5, 3, 0),
    "001": (1, 0, 1, 1, 0, 0, 0),
    "002": (0, 0, 0, 0, 0, 0, 0),  # 000 stripped of every example
    "003": (1, 0, 0, 1, 0, 0, 0),
    "004": (6, 0, 3, 2, 2, 0, 2),
}


@dataclass
class Example:
    """One example: a request body, a response body, a query parameter, or a stand-alone document."""

    page: str
    kind: str  # "request" | "response" | "query" | "document"
    method: str
    url: str
    value: Any
    line: int  # where in the seed page it starts
    heading: str
    name: str = ""  # the query parameter's name, or the document's heading


@dataclass
class Page:
    number: str
    source: str
    style: str
    curls: int
    foreign: int
    elided: int
    endpoints: set[tuple[str, str]]
    examples: list[Example]

    def count(self, kind: str) -> int:
        return sum(1 for example in self.examples if example.kind == kind)


def load_page(number: str) -> Page:
    """One seed page as `scripts/extract_fixtures.py` extracted it (see `tests/fixtures/README.md`)."""
    data = json.loads((FIXTURES / f"{number}.json").read_text(encoding="utf-8"))
    return Page(
        number=number,
        source=data["source"],
        style=data["style"],
        curls=data["curls"],
        foreign=data["foreign"],
        elided=data["elided"],
        endpoints={(method, path) for method, path in data["endpoints"]},
        examples=[Example(page=number, **example) for example in data["examples"]],
    )


PAGES = {number: load_page(number) for number in STYLE}
EXAMPLES = [example for page in PAGES.values() for example in page.examples]


# --- The spec side -------------------------------------------------------------------------------------


def operation_for(spec: dict[str, Any], method: str, url: str) -> tuple[str, dict[str, Any]]:
    """The operation a documented URL calls: literal segments must match, templated ones take anything;
    of several candidates the one with the most literal matches wins (as in OpenAPI path matching)."""
    segments = urlsplit(url).path.rstrip("/").split("/")
    best: tuple[int, str] | None = None
    for path, item in spec["paths"].items():
        if method.lower() not in item:
            continue
        template = path.split("/")
        if len(template) != len(segments):
            continue
        literal = 0
        for ours, theirs in zip(template, segments, strict=True):
            if ours.startswith("{") and ours.endswith("}"):
                continue
            if ours != theirs:
                break
            literal += 1
        else:
            if best is None or literal > best[0]:
                best = (literal, path)
    assert best is not None, f"no operation for {method} {url}"
    return best[1], spec["paths"][best[1]][method.lower()]


def resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def request_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    return resolve(spec, op["requestBody"])["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def success_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    status = min(code for code in op["responses"] if code.startswith("2"))
    return resolve(spec, op["responses"][status])["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def schema_of(spec: dict[str, Any], example: Example) -> dict[str, Any]:
    _, op = operation_for(spec, example.method, example.url)
    return request_schema(spec, op) if example.kind == "request" else success_schema(spec, op)


def messages(validator: Any, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.instance_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


# --- Mintlify samples: missing enum-typed properties ---------------------------------------------------


@dataclass(frozen=True)
class Fill:
    """A required enum-typed property the sample leaves out, where it goes, and a value for it."""

    at: tuple[str | int, ...]
    name: str
    value: Any


def python_validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    root = {**schema, "components": spec.get("components", {})}
    resource = referencing.Resource.from_contents(root, default_specification=DRAFT202012)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource("urn:sample", resource)
    return jsonschema.Draft202012Validator(root, registry=registry)


def enum_value(spec: dict[str, Any], schema: Any) -> tuple[bool, Any]:
    """Whether a property schema is enum-typed (enum, const, or a nullable one of those), and a value."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return False, None
    if "const" in schema:
        return True, schema["const"]
    if "enum" in schema:
        return True, next(value for value in schema["enum"] if value is not None)
    for key in ("anyOf", "oneOf"):
        branches = [resolve(spec, branch) for branch in schema.get(key, [])]
        real = [branch for branch in branches if branch.get("type") != "null"]
        if real and all(enum_value(spec, branch)[0] for branch in real):
            return True, enum_value(spec, real[0])[1]
    return False, None


def fills_for(spec: dict[str, Any], error: jsonschema.ValidationError) -> list[Fill] | None:
    """The fills that would answer this error, or None when it is not (only) missing enum-typed properties."""
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        fills = []
        for name in missing:
            typed, value = enum_value(spec, error.schema.get("properties", {}).get(name))
            if not typed:
                return None
            fills.append(Fill(tuple(error.absolute_path), name, value))
        return fills
    if error.validator in ("anyOf", "oneOf"):
        branches: dict[Any, list[jsonschema.ValidationError]] = {}
        for sub in error.context or []:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        for sub_errors in branches.values():
            answers = [fills_for(spec, sub) for sub in sub_errors]
            if all(answer is not None for answer in answers):
                return [fill for answer in answers for fill in answer or []]
        return None
    return None


def fill_missing_enums(
    spec: dict[str, Any], schema: dict[str, Any], sample: Any
) -> tuple[Any, set[Fill], list[str]]:
    """The sample with its missing enum-typed properties filled, the fills, and every other error."""
    filled = copy.deepcopy(sample)
    fills: set[Fill] = set()
    others: list[str] = []
    for error in python_validator(spec, schema).iter_errors(sample):
        answer = fills_for(spec, error)
        if answer is None:
            others.append(f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}")
        else:
            fills.update(answer)
    for fill in fills:
        target = filled
        for step in fill.at:
            target = target[step]
        target[fill.name] = fill.value
    return filled, fills, others


# --- Tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_examples_found_per_page(number: str) -> None:
    page = PAGES[number]
    found = (
        page.curls,
        page.foreign,
        page.count("request"),
        page.count("response"),
        page.count("query"),
        page.elided,
        page.count("document"),
    )
    assert dict(zip(COUNTED, found, strict=True)) == dict(zip(COUNTED, EXPECTED[number], strict=True))


def test_every_example_says_where_it_is_in_its_seed_page() -> None:
    for page in PAGES.values():
        assert page.source.startswith(f"{page.number}_") and page.source.endswith(".txt")
        for example in page.examples:
            assert example.line > 0 and example.heading, example
    (created,) = [e for e in PAGES["000"].examples if e.kind == "request" and e.method == "POST"][:1]
    assert (created.line, created.heading) == (68, "Create Audience")


def test_every_example_calls_its_family() -> None:
    for example in EXAMPLES:
        if example.kind == "document":
            continue
        path = urlsplit(example.url).path
        if STYLE[example.page] == GUIDE:
            assert path.startswith("/api/v1/"), example.url
        else:
            assert path.startswith("/api/") and not path.startswith("/api/v1/"), example.url


GUIDE_EXAMPLES = [e for e in EXAMPLES if STYLE[e.page] == GUIDE and e.kind in ("request", "response")]
REFERENCE_EXAMPLES = [e for e in EXAMPLES if STYLE[e.page] == REFERENCE and e.kind in ("request", "response")]
QUERY_EXAMPLES = [e for e in EXAMPLES if e.kind == "query"]


def example_id(example: Example) -> str:
    suffix = f" {example.name}" if example.name else ""
    where = f"{example.page}:{example.line}"
    return f"{where} {example.kind} {example.method} {urlsplit(example.url).path}{suffix}"


@pytest.mark.parametrize("example", GUIDE_EXAMPLES, ids=example_id)
def test_guide_example_validates(
    example: Example, spec: dict[str, Any], compile_schema: Callable[[dict[str, Any]], Any]
) -> None:
    assert messages(compile_schema(schema_of(spec, example)), example.value) == []


@pytest.mark.parametrize("example", REFERENCE_EXAMPLES, ids=example_id)
def test_reference_sample_lacks_only_enum_typed_properties(
    example: Example, spec: dict[str, Any], compile_schema: Callable[[dict[str, Any]], Any]
) -> None:
    """Mintlify drops enum-typed fields from its samples (facts section 5.4): POST /audiences shows only
    `{"name"}`, response samples have no `type`. Such a sample may fail only for missing required
    enum-typed properties, and must validate once they are filled in."""
    schema = schema_of(spec, example)
    filled, _, others = fill_missing_enums(spec, schema, example.value)
    assert others == [], "errors other than missing enum-typed properties"
    assert messages(compile_schema(schema), filled) == []


def test_the_mintlify_samples_do_lack_enum_typed_properties(spec: dict[str, Any]) -> None:
    """Guards the test above against passing vacuously: the create body really lacks `type`."""
    (request,) = [e for e in REFERENCE_EXAMPLES if e.kind == "request"]
    _, fills, others = fill_missing_enums(spec, schema_of(spec, request), request.value)
    assert others == []
    assert {(fill.at, fill.name) for fill in fills} == {((), "type")}


@pytest.mark.parametrize("example", QUERY_EXAMPLES, ids=example_id)
def test_query_example_validates(
    example: Example, spec: dict[str, Any], compile_schema: Callable[[dict[str, Any]], Any]
) -> None:
    _, op = operation_for(spec, example.method, example.url)
    params = {
        p["name"]: p for p in (resolve(spec, p) for p in op.get("parameters", [])) if p["in"] == "query"
    }
    assert example.name in params, f"{example.name} is not a query parameter of {op['operationId']}"
    schema = params[example.name]["schema"]
    value: Any = example.value
    if resolve(spec, schema).get("type") in ("integer", "number"):
        value = json.loads(value)
    assert messages(compile_schema(schema), value) == []


@pytest.mark.parametrize("which", ["Theme", "I18n"])
def test_theme_and_i18n_documents(
    which: str, spec: dict[str, Any], compile_schema: Callable[[dict[str, Any]], Any]
) -> None:
    (document,) = [e for e in EXAMPLES if e.kind == "document" and e.name == which]
    key = which.lower()
    assert list(document.value) == [key]
    schemas = spec["components"]["schemas"]
    name = {"theme": "V1ExperienceTheme", "i18n": "V1ExperienceI18n"}[key]
    for component in (name, f"{name}Input"):
        assert messages(compile_schema(schemas[component]), document.value[key]) == [], component
    # The wrapper object is itself a valid update body, the way a client would send it.
    update = spec["paths"]["/api/v1/experiences/{id}"]["put"]
    assert messages(compile_schema(request_schema(spec, update)), document.value) == []


def guide_endpoints(number: str) -> set[tuple[str, str]]:
    return {(method, re.sub(r":([A-Za-z]+)", r"{\1}", path)) for method, path in PAGES[number].endpoints}


def test_every_guide_endpoint_is_an_operation(spec: dict[str, Any]) -> None:
    """Every `METHOD /api/v1/...` the guide names is an operation, path parameters named as the guide does."""
    audiences, stripped, experiences = guide_endpoints("000"), guide_endpoints("002"), guide_endpoints("004")
    assert stripped == audiences  # 002 is 000 without its examples
    assert (len(audiences), len(experiences)) == (17, 6)
    missing = [
        f"{m} {p}" for m, p in sorted(audiences | experiences) if m.lower() not in spec["paths"].get(p, {})
    ]
    assert missing == []


def test_the_checks_catch_a_wrong_example(
    spec: dict[str, Any], compile_schema: Callable[[dict[str, Any]], Any]
) -> None:
    """Negative controls: the checks above are not vacuous."""
    (created,) = [
        e
        for e in GUIDE_EXAMPLES
        if e.kind == "response" and e.method == "POST" and e.url.endswith("/api/v1/audiences")
    ]
    wrong = {**created.value, "type": "STATIC_LIST"}  # the reference spelling is not the guide's (D5)
    assert messages(compile_schema(schema_of(spec, created)), wrong) != []
    (request,) = [e for e in REFERENCE_EXAMPLES if e.kind == "request"]
    _, _, others = fill_missing_enums(spec, schema_of(spec, request), {**request.value, "name": 7})
    assert others != []  # a wrong type is not a missing enum

"""Every key in the bundled documents is one the OpenAPI 3.1 object model allows where it stands.

openapi-spec-validator accepts a Schema object with any extra key (JSON Schema ignores unknown
keywords), so an unquoted YAML description holding `, ` that became a stray key went unnoticed. This
walk knows each object's fields, descends by the object model, and names every key that does not belong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import fanfare_spec

# JSON Schema 2020-12 (every vocabulary of the OpenAPI 3.1 dialect) plus the OpenAPI base vocabulary.
SCHEMA_KEYS = frozenset(
    str.split(
        "$schema $id $ref $anchor $dynamicRef $dynamicAnchor $vocabulary $comment $defs "
        "allOf anyOf oneOf not if then else dependentSchemas prefixItems items contains properties "
        "patternProperties additionalProperties propertyNames unevaluatedItems unevaluatedProperties "
        "type const enum multipleOf maximum exclusiveMaximum minimum exclusiveMinimum maxLength minLength "
        "pattern maxItems minItems uniqueItems maxContains minContains maxProperties minProperties required "
        "dependentRequired title description default deprecated readOnly writeOnly examples format "
        "contentEncoding contentMediaType contentSchema discriminator xml externalDocs example"
    )
)
SCHEMA_ONE = ("not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames")
SCHEMA_ONE += ("unevaluatedItems", "unevaluatedProperties", "contentSchema")
SCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_MAP = ("properties", "patternProperties", "dependentSchemas", "$defs")

FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(keys.split())
    for name, keys in {
        "OpenAPI": "openapi info jsonSchemaDialect servers paths webhooks components security tags "
        "externalDocs",
        "Info": "title summary description termsOfService contact license version",
        "Contact": "name url email",
        "License": "name identifier url",
        "Server": "url description variables",
        "ServerVariable": "enum default description",
        "Components": "schemas responses parameters examples requestBodies headers securitySchemes links "
        "callbacks pathItems",
        "PathItem": "$ref summary description get put post delete options head patch trace servers "
        "parameters",
        "Operation": "tags summary description externalDocs operationId parameters requestBody responses "
        "callbacks deprecated security servers",
        "ExternalDocs": "description url",
        "Parameter": "name in description required deprecated allowEmptyValue style explode allowReserved "
        "schema example examples content",
        "Header": "description required deprecated allowEmptyValue style explode allowReserved schema "
        "example examples content",
        "RequestBody": "description content required",
        "MediaType": "schema example examples encoding",
        "Encoding": "contentType headers style explode allowReserved",
        "Response": "description headers content links",
        "Example": "summary description value externalValue",
        "Link": "operationRef operationId parameters requestBody description server",
        "Tag": "name description externalDocs",
        "Reference": "$ref summary description",
        "SecurityScheme": "type description name in scheme bearerFormat flows openIdConnectUrl",
        "OAuthFlows": "implicit password clientCredentials authorizationCode",
        "OAuthFlow": "authorizationUrl tokenUrl refreshUrl scopes",
    }.items()
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
STATUS = re.compile(r"^([1-5]([0-9]{2}|XX)|default)$")

Found = Iterator[str]


def _fields(kind: str, node: Any, where: str) -> Found:
    if not isinstance(node, dict):
        yield f"{where}: a {kind} object must be a mapping, not {type(node).__name__}"
        return
    allowed = FIELDS["Reference"] if "$ref" in node and kind != "PathItem" else FIELDS[kind]
    for key in node:
        if key not in allowed and not key.startswith("x-"):
            yield f"{where}: {key!r} is not a field of a {kind} object"


def _map(node: Any, where: str, walk: Any) -> Found:
    for key, value in (node or {}).items():
        yield from walk(value, f"{where}/{key}")


def schema(node: Any, where: str) -> Found:
    if isinstance(node, bool):
        return
    if not isinstance(node, dict):
        yield f"{where}: a Schema must be a mapping or a boolean"
        return
    for key in node:
        if key not in SCHEMA_KEYS and not key.startswith("x-"):
            yield f"{where}: {key!r} is not a JSON Schema or OpenAPI Schema keyword"
    for key in SCHEMA_ONE:
        if key in node:
            yield from schema(node[key], f"{where}/{key}")
    for key in SCHEMA_LIST:
        for index, item in enumerate(node.get(key, [])):
            yield from schema(item, f"{where}/{key}/{index}")
    for key in SCHEMA_MAP:
        yield from _map(node.get(key), f"{where}/{key}", schema)


def _with_schema(kind: str, node: Any, where: str) -> Found:
    yield from _fields(kind, node, where)
    if "$ref" in node:
        return
    if "schema" in node:
        yield from schema(node["schema"], f"{where}/schema")
    yield from _map(node.get("content"), f"{where}/content", media_type)
    yield from _map(node.get("examples"), f"{where}/examples", example)


def parameter(node: Any, where: str) -> Found:
    yield from _with_schema("Parameter", node, where)


def header(node: Any, where: str) -> Found:
    yield from _with_schema("Header", node, where)


def example(node: Any, where: str) -> Found:
    yield from _fields("Example", node, where)


def media_type(node: Any, where: str) -> Found:
    yield from _with_schema("MediaType", node, where)
    for name, encoding in (node.get("encoding") or {}).items():
        yield from _fields("Encoding", encoding, f"{where}/encoding/{name}")
        yield from _map(encoding.get("headers"), f"{where}/encoding/{name}/headers", header)


def request_body(node: Any, where: str) -> Found:
    yield from _with_schema("RequestBody", node, where)


def response(node: Any, where: str) -> Found:
    yield from _with_schema("Response", node, where)
    if "$ref" not in node:
        yield from _map(node.get("headers"), f"{where}/headers", header)
        yield from _map(node.get("links"), f"{where}/links", lambda n, w: _fields("Link", n, w))


def operation(node: Any, where: str) -> Found:
    yield from _fields("Operation", node, where)
    for index, item in enumerate(node.get("parameters", [])):
        yield from parameter(item, f"{where}/parameters/{index}")
    if "requestBody" in node:
        yield from request_body(node["requestBody"], f"{where}/requestBody")
    for status, item in (node.get("responses") or {}).items():
        if not STATUS.match(status) and not status.startswith("x-"):
            yield f"{where}/responses: {status!r} is not a status code, a range or `default`"
        yield from response(item, f"{where}/responses/{status}")
    if "externalDocs" in node:
        yield from _fields("ExternalDocs", node["externalDocs"], f"{where}/externalDocs")


def path_item(node: Any, where: str) -> Found:
    yield from _fields("PathItem", node, where)
    for method in METHODS:
        if method in node:
            yield from operation(node[method], f"{where}/{method}")
    for index, item in enumerate(node.get("parameters", [])):
        yield from parameter(item, f"{where}/parameters/{index}")


def security_scheme(node: Any, where: str) -> Found:
    yield from _fields("SecurityScheme", node, where)
    if "flows" in node:
        yield from _fields("OAuthFlows", node["flows"], f"{where}/flows")
        yield from _map(node["flows"], f"{where}/flows", lambda n, w: _fields("OAuthFlow", n, w))


COMPONENTS = {
    "schemas": schema,
    "responses": response,
    "parameters": parameter,
    "examples": example,
    "requestBodies": request_body,
    "headers": header,
    "securitySchemes": security_scheme,
    "links": lambda n, w: _fields("Link", n, w),
    "pathItems": path_item,
}


def document(doc: dict[str, Any]) -> Found:
    yield from _fields("OpenAPI", doc, "#")
    info = doc.get("info", {})
    yield from _fields("Info", info, "#/info")
    for kind in ("contact", "license"):
        if kind in info:
            yield from _fields(kind.title(), info[kind], f"#/info/{kind}")
    for index, server in enumerate(doc.get("servers", [])):
        yield from _fields("Server", server, f"#/servers/{index}")
        for name, variable in (server.get("variables") or {}).items():
            yield from _fields("ServerVariable", variable, f"#/servers/{index}/variables/{name}")
    for index, tag in enumerate(doc.get("tags", [])):
        yield from _fields("Tag", tag, f"#/tags/{index}")
    for path, item in doc.get("paths", {}).items():
        if not path.startswith("/"):
            yield f"#/paths: {path!r} does not start with /"
        yield from path_item(item, f"#/paths/{path}")
    yield from _fields("Components", doc.get("components", {}), "#/components")
    for kind, walk in COMPONENTS.items():
        yield from _map(doc.get("components", {}).get(kind), f"#/components/{kind}", walk)


@pytest.mark.parametrize("name", fanfare_spec.DOCUMENTS)
def test_bundled_document_holds_only_keys_its_objects_can_have(name: str) -> None:
    problems = list(document(fanfare_spec.load(name)))
    assert not problems, "\n".join(problems)


def test_the_walk_finds_a_stray_key() -> None:
    """The walk is not vacuous: the shape an unquoted `, ` leaves behind is reported where it stands."""
    doc = fanfare_spec.load("fanfare")
    first = next(iter(doc["components"]["schemas"].values()))
    first.setdefault("properties", {})["x"] = {"description": "A decimal string", "as money.": None}
    item = next(iter(doc["paths"].values()))
    item["get"]["responses"]["200"]["descripton"] = "typo"
    problems = list(document(doc))
    assert any("'as money.' is not a JSON Schema" in p and "/properties/x" in p for p in problems)
    assert any("'descripton' is not a field of a Response object" in p for p in problems)

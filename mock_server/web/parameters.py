"""Path, query and header parameters: parsed from the wire, coerced to their schema types, defaults
applied, then checked by one compiled validator per operation.

Supported serializations: scalars; arrays as repeated keys (form, explode) or delimited (`form` without
explode, `spaceDelimited`, `pipeDelimited`; `simple` for path and header); `content`-encoded JSON
parameters. Object-valued parameters (`deepObject`...) are refused at start, naming the operation.
Unknown query parameters are ignored; cookies are not read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson

from .problems import Problem, problem
from .references import escape, resolve
from .validators import CompiledSchema, SchemaCompiler

__all__ = ["ParameterSet", "ParameterSpec", "Parsed", "compile_parameters"]

_MISSING: Any = object()
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_BOOLEANS = {"true": True, "false": False}
#: OpenAPI: these header parameters are described by other means and are ignored if declared.
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_DELIMITERS = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """One declared parameter, reduced to what parsing needs."""

    name: str
    location: str
    required: bool
    types: frozenset[str]
    is_array: bool
    delimiter: str | None
    is_json: bool
    default: Any
    #: An explicit `allowEmptyValue: false`. Its default is not applied: schemathesis (and most servers)
    #: treat `?search=` as the empty string, which the schema decides about.
    reject_empty: bool = False

    def convert(self, raw: list[str]) -> Any:
        """The wire value(s) as the schema's type; a value that does not convert stays a string so that
        validation reports it against the schema."""
        if self.is_json:
            try:
                return orjson.loads(raw[0])
            except orjson.JSONDecodeError:
                return raw[0]
        if self.is_array:
            items = (
                raw
                if self.delimiter is None
                else [part for value in raw for part in value.split(self.delimiter)]
            )
            return [_scalar(item, self.types) for item in items]
        return _scalar(raw[0], self.types)


def _scalar(text: str, types: frozenset[str]) -> Any:
    if not types or "string" in types:
        return text
    if "integer" in types and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types and _NUMBER.fullmatch(text):
        return int(text) if _INTEGER.fullmatch(text) else float(text)
    if "boolean" in types and text in _BOOLEANS:
        return _BOOLEANS[text]
    if "null" in types and text in ("", "null"):
        return None
    return text


@dataclass(frozen=True, slots=True)
class Parsed:
    path: dict[str, Any]
    query: dict[str, Any]
    header: dict[str, Any]
    problems: list[Problem]

    def roots(self) -> dict[str, Any]:
        return {"path": self.path, "query": self.query, "header": self.header}


class ParameterSet:
    """An operation's parameters and their one validator (None when there is nothing to check)."""

    __slots__ = ("header", "path", "query", "validator")

    def __init__(
        self,
        path: tuple[ParameterSpec, ...],
        query: tuple[ParameterSpec, ...],
        header: tuple[ParameterSpec, ...],
        validator: CompiledSchema | None,
    ) -> None:
        self.path = path
        self.query = query
        self.header = header
        self.validator = validator

    @property
    def needed(self) -> bool:
        """False when the path values, as strings, are all there is (the shell then skips parsing)."""
        return bool(
            self.validator is not None
            or self.query
            or self.header
            or any(spec.types and "string" not in spec.types for spec in self.path)
        )

    def parse(
        self, path_values: Mapping[str, str], query_string: bytes, headers: Mapping[bytes, bytes]
    ) -> Parsed:
        path = {
            spec.name: spec.convert([path_values[spec.name]])
            for spec in self.path
            if spec.name in path_values
        }
        query: dict[str, Any] = {}
        empty: list[str] = []
        if self.query:
            wire: dict[str, list[str]] = {}
            if query_string:
                for key, value in parse_qsl(
                    query_string.decode("latin-1"), keep_blank_values=True, errors="replace"
                ):
                    wire.setdefault(key, []).append(value)
            for spec in self.query:
                raw = wire.get(spec.name)
                if raw is not None:
                    if spec.reject_empty and raw[0] == "":
                        empty.append(spec.name)
                    query[spec.name] = spec.convert(raw)
                elif spec.default is not _MISSING:
                    query[spec.name] = spec.default
        header: dict[str, Any] = {}
        for spec in self.header:
            wire_value = headers.get(spec.name.lower().encode("latin-1"))
            if wire_value is not None:
                header[spec.name] = spec.convert([wire_value.decode("latin-1")])
            elif spec.default is not _MISSING:
                header[spec.name] = spec.default
        problems: list[Problem] = []
        if self.validator is not None:
            problems = self.validator.problems({"path": path, "query": query, "header": header})
        for name in empty:
            problems.append(
                problem(
                    "query",
                    (name,),
                    kind="validation",
                    type="non_empty",
                    expected="a value",
                    received='""',
                    what="value",
                )
            )
        return Parsed(path, query, header, problems)


def compile_parameters(
    document: dict[str, Any],
    document_index: int,
    path_key: str,
    path_item: dict[str, Any],
    definition: dict[str, Any],
    method: str,
    compiler: SchemaCompiler,
    where: str,
) -> ParameterSet:
    """The parameters of one operation (path-level ones overridden by operation-level ones)."""
    declared: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    base = f"/paths/{escape(path_key)}"
    for owner_pointer, owner in ((base, path_item), (f"{base}/{method}", definition)):
        for index, raw in enumerate(owner.get("parameters") or ()):
            pointer, parameter = resolve(document, f"{owner_pointer}/parameters/{index}", raw)
            location = parameter.get("in")
            if location == "cookie":
                continue
            if location == "header" and str(parameter.get("name", "")).lower() in _IGNORED_HEADERS:
                continue
            declared[(location, parameter["name"])] = (pointer, parameter)

    groups: dict[str, list[ParameterSpec]] = {"path": [], "query": [], "header": []}
    properties: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
    required: dict[str, list[str]] = {"path": [], "query": [], "header": []}
    for (location, name), (pointer, parameter) in declared.items():
        if location not in groups:
            raise ValueError(f"{where}: parameter {name!r} is in {location!r}, which is not supported")
        spec, schema_pointer = _spec(document, pointer, parameter, location, where)
        groups[location].append(spec)
        if location == "path" and _any_string(document, parameter):
            continue  # a path segment is always a non-empty string: nothing to check
        properties[location][name] = compiler.ref(document_index, schema_pointer) if schema_pointer else {}
        if spec.required:
            required[location].append(name)

    validator = None
    if any(properties.values()):
        schema = {
            "type": "object",
            "properties": {
                location: {
                    "type": "object",
                    "properties": properties[location],
                    "required": required[location],
                }
                for location in groups
            },
        }
        validator = compiler.composite(schema, "query", split_location=True)
    return ParameterSet(tuple(groups["path"]), tuple(groups["query"]), tuple(groups["header"]), validator)


_ANNOTATIONS = frozenset({"type", "description", "title", "example", "examples", "deprecated", "$comment"})


def _any_string(document: dict[str, Any], parameter: dict[str, Any]) -> bool:
    """`schema: {type: string}` with annotations only (RECONCILIATION D3's plain ids)."""
    if "schema" not in parameter:
        return False
    _, schema = resolve(document, "", parameter["schema"])
    return (
        isinstance(schema, dict)
        and schema.get("type") == "string"
        and all(key in _ANNOTATIONS or key.startswith("x-") for key in schema)
    )


def _spec(
    document: dict[str, Any], pointer: str, parameter: dict[str, Any], location: str, where: str
) -> tuple[ParameterSpec, str | None]:
    name = parameter["name"]
    is_json = False
    schema_pointer: str | None
    if "schema" in parameter:
        schema_pointer, schema = resolve(document, f"{pointer}/schema", parameter["schema"])
    elif "content" in parameter:
        media, _ = next(iter(parameter["content"].items()))
        schema_pointer, schema = resolve(
            document,
            f"{pointer}/content/{escape(media)}/schema",
            parameter["content"][media].get("schema", {}),
        )
        is_json = True
    else:
        schema_pointer, schema = None, {}
    types = _types(document, schema)
    is_array = False
    delimiter = None
    if "object" in types and not is_json:
        raise ValueError(
            f"{where}: object-valued parameter {name!r} is not supported (style {parameter.get('style')})"
        )
    if "array" in types and not is_json:
        is_array = True
        style = parameter.get("style", "form" if location == "query" else "simple")
        explode = parameter.get("explode", style == "form")
        if style not in _DELIMITERS:
            raise ValueError(f"{where}: parameter {name!r} uses style {style!r}, which is not supported")
        delimiter = None if (explode and location == "query") else _DELIMITERS[style]
        types = _types(document, schema.get("items", {})) if isinstance(schema, dict) else frozenset()
    default = schema.get("default", _MISSING) if isinstance(schema, dict) else _MISSING
    required = bool(parameter.get("required", location == "path"))
    reject_empty = location == "query" and parameter.get("allowEmptyValue") is False
    spec = ParameterSpec(name, location, required, types, is_array, delimiter, is_json, default, reject_empty)
    return spec, schema_pointer


def _types(document: dict[str, Any], node: Any, depth: int = 0) -> frozenset[str]:
    """The JSON types a schema admits at its top level, as far as a parameter's coercion needs to know."""
    _, node = resolve(document, "", node)
    if not isinstance(node, dict) or depth > 8:
        return frozenset()
    declared = node.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(declared)
    for sub in node.get("allOf") or ():
        found = _types(document, sub, depth + 1)
        if found:
            return found
    union: set[str] = set()
    for key in ("anyOf", "oneOf"):
        for sub in node.get(key) or ():
            union |= _types(document, sub, depth + 1)
    if union:
        return frozenset(union)
    values = node.get("enum", [node["const"]] if "const" in node else [])
    return frozenset(_json_type(value) for value in values)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"

"""Validators compiled once from the documents (jsonschema-rs), and their errors turned into `Problem`s.

Each document is registered once under its own URI; a validator is compiled from a pointer into it
(`{"$ref": "urn:fanfare-mock:doc0#/paths/...schema"}`), so `$ref`s inside resolve against the document
and two operations sharing a schema share one compiled validator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

import jsonschema_rs

from .problems import Problem, describe, problem
from .references import pointer_uri

__all__ = ["CompiledSchema", "SchemaCompiler", "document_uri"]

#: At most this many problems are reported for one request part: a 100,000-item array of wrong
#: types must not produce a 100,000-entry error body.
MAX_PROBLEMS = 20


def document_uri(index: int) -> str:
    return f"urn:fanfare-mock:doc{index}"


class CompiledSchema:
    """One compiled validator. `problems()` is `[]` for a valid instance (the fast path is one `is_valid`)."""

    __slots__ = ("_validator", "is_valid", "location", "split_location")

    def __init__(
        self, validator: jsonschema_rs.Validator, location: str, *, split_location: bool = False
    ) -> None:
        self._validator = validator
        self.is_valid = validator.is_valid
        self.location = location
        # Parameter validators check {"path": {...}, "query": {...}}: the first path item is the location.
        self.split_location = split_location

    def problems(self, instance: Any, limit: int = MAX_PROBLEMS) -> list[Problem]:
        if self.is_valid(instance):
            return []
        found: list[Problem] = []
        for error in islice(self._validator.iter_errors(instance), limit):
            found.extend(_problems_of(error, self.location, self.split_location))
            if len(found) >= limit:
                break
        return found[:limit]

    def errors(self, instance: Any, limit: int = 3) -> list[str]:
        """Plain messages (with locations), for exceptions raised at developers, not envelopes for clients."""
        return [
            f"{'/'.join(map(str, error.instance_path)) or '<root>'}: {error.message[:300]}"
            for error in islice(self._validator.iter_errors(instance), limit)
        ]


class SchemaCompiler:
    """Compiles (and caches) validators for schemas located in the registered documents."""

    def __init__(self, documents: Sequence[dict[str, Any]], *, validate_formats: bool = True) -> None:
        self._uris = [document_uri(index) for index in range(len(documents))]
        self._registry = jsonschema_rs.Registry(
            list(zip(self._uris, documents, strict=True)), draft=jsonschema_rs.Draft202012
        )
        self._validate_formats = validate_formats
        self._cache: dict[tuple[str, str], jsonschema_rs.Validator] = {}

    def uri(self, document_index: int) -> str:
        return self._uris[document_index]

    def ref(self, document_index: int, pointer: str) -> dict[str, str]:
        """A schema that is the one at `pointer`: for embedding in a composite schema."""
        return {"$ref": pointer_uri(self._uris[document_index], pointer)}

    def at(self, document_index: int, pointer: str, location: str) -> CompiledSchema:
        key = (self._uris[document_index], pointer)
        validator = self._cache.get(key)
        if validator is None:
            validator = self._compile(self.ref(document_index, pointer))
            self._cache[key] = validator
        return CompiledSchema(validator, location)

    def composite(
        self, schema: dict[str, Any], location: str, *, split_location: bool = False
    ) -> CompiledSchema:
        """A schema built by the shell around references into the documents (absolute `$ref`s only)."""
        return CompiledSchema(self._compile(schema), location, split_location=split_location)

    def _compile(self, schema: dict[str, Any]) -> jsonschema_rs.Validator:
        return jsonschema_rs.validator_for(
            schema,
            registry=self._registry,
            validate_formats=self._validate_formats,
            ignore_unknown_formats=True,
        )


# ---------------------------------------------------------------------------------------------------
# jsonschema-rs errors -> Problems


def _problems_of(error: jsonschema_rs.ValidationError, location: str, split: bool) -> Iterator[Problem]:
    original_location = location
    path: tuple[str | int, ...] = tuple(error.instance_path)
    if split and path:
        location, path = str(path[0]), path[1:]
    kind: Any = error.kind
    name: str = kind.name
    instance = error.instance
    if name == "required":
        key = kind.property
        yield problem(
            location,
            (*path, key),
            type="object",
            expected=f'"{key}"',
            received="undefined",
            what="key",
            key_issue=True,
        )
    elif name in ("additionalProperties", "unevaluatedProperties"):
        for key in kind.unexpected:
            yield problem(
                location,
                (*path, key),
                type="strict_object",
                expected="never",
                received=describe(key),
                what="key",
                key_issue=True,
            )
    elif name == "type":
        types = list(kind.types)
        yield problem(
            location,
            path,
            type=types[0] if len(types) == 1 else "union",
            expected=" | ".join(types),
            received=describe(instance),
        )
    elif name == "enum":
        options = kind.options
        yield problem(
            location, path, type="picklist", expected=_options(options), received=describe(instance)
        )
    elif name == "const":
        yield problem(
            location,
            path,
            type="literal",
            expected=_literal(kind.expected_value),
            received=describe(instance),
        )
    elif name in ("anyOf", "oneOf"):
        branch = _typed_branch(error)
        if branch is not None:
            # Like Valibot's union: when exactly the value's own shape was right in a branch, report
            # that branch's deeper issues (`theme.logoUrl` is not a URI), not "expected Object | null".
            for sub in branch:
                yield from _problems_of(sub, original_location, split)
            return
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.OneOfMultipleValid):
            yield Problem(
                location,
                path,
                "schema",
                "union",
                "exactly one matching shape",
                describe(instance),
                "Invalid type: the value matches more than one of the documented shapes",
            )
            return
        yield problem(
            location, path, type="union", expected=_union_expected(error), received=describe(instance)
        )
    elif name in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        sign = ">=" if name.startswith("min") else "<="
        size = len(instance) if isinstance(instance, str | list | dict) else 0
        issue_type = ("min_" if sign == ">=" else "max_") + ("entries" if "Properties" in name else "length")
        yield problem(
            location,
            path,
            kind="validation",
            type=issue_type,
            expected=f"{sign}{kind.limit}",
            received=str(size),
            what="length",
        )
    elif name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        sign, issue_type = {
            "minimum": (">=", "min_value"),
            "maximum": ("<=", "max_value"),
            "exclusiveMinimum": (">", "gt_value"),
            "exclusiveMaximum": ("<", "lt_value"),
        }[name]
        yield problem(
            location,
            path,
            kind="validation",
            type=issue_type,
            expected=f"{sign}{kind.limit}",
            received=describe(instance),
            what="value",
        )
    elif name == "pattern":
        yield problem(
            location,
            path,
            kind="validation",
            type="regex",
            expected=f"/{kind.pattern}/",
            received=describe(instance),
            what="format",
        )
    elif name == "format":
        fmt = kind.format
        yield problem(
            location,
            path,
            kind="validation",
            type=fmt.replace("-", "_"),
            expected=fmt,
            received=describe(instance),
            what="format",
        )
    elif name == "multipleOf":
        yield problem(
            location,
            path,
            kind="validation",
            type="multiple_of",
            expected=f"%{kind.multiple_of}",
            received=describe(instance),
            what="multiple",
        )
    elif name == "uniqueItems":
        yield problem(
            location,
            path,
            kind="validation",
            type="unique_items",
            expected="unique items",
            received="duplicates",
            what="items",
        )
    else:
        message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        yield Problem(
            location, path, "schema", name, "valid input", describe(instance), f"Invalid input: {message}"
        )


def _typed_branch(error: jsonschema_rs.ValidationError) -> list[jsonschema_rs.ValidationError] | None:
    """The union branch whose every error lies deeper than the union itself (fewest errors first)."""
    depth = len(error.instance_path)
    branches = getattr(error.kind, "context", None) or []
    typed = [
        branch for branch in branches if branch and all(len(sub.instance_path) > depth for sub in branch)
    ]
    return min(typed, key=len) if typed else None


def _literal(value: Any) -> str:
    return describe(value) if not isinstance(value, list | dict) else "the documented value"


def _options(options: list[Any]) -> str:
    return " | ".join(_literal(option) for option in options[:20])


def _union_expected(error: jsonschema_rs.ValidationError) -> str:
    """What the branches of an anyOf/oneOf wanted at this location (`string | null`)."""
    context = getattr(error.kind, "context", None) or []
    here = list(error.instance_path)
    wanted: list[str] = []
    for branch in context:
        for sub in branch:
            if list(sub.instance_path) != here:
                continue
            sub_kind: Any = sub.kind
            if sub_kind.name == "type":
                items = [str(t) for t in sub_kind.types]
            elif sub_kind.name == "enum":
                items = [_options(sub_kind.options)]
            elif sub_kind.name == "const":
                items = [_literal(sub_kind.expected_value)]
            else:
                continue
            wanted.extend(item for item in items if item not in wanted)
            break
    return " | ".join(wanted) if wanted else "one of the documented shapes"

"""Facts the suite reads from the spec itself, so its leniencies are the spec's, never its own.

Today one fact: the business-rule rejections an operation documents as 400 examples (`Audience is
not a synced list` for a sync of a static list). A schema-valid request refused with one of those
texts is the documented behaviour, not a rejected-positive-data defect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["VALIDATION_MARKERS", "business_rejections", "declared_methods"]

#: The `error` texts of plain request-validation failures (D7): never a business rule.
VALIDATION_MARKERS = frozenset({"Validation failed", "validation_error"})
_METHODS = ("get", "put", "post", "delete", "patch")


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 20:
        target: Any = spec
        for part in str(node["$ref"]).lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        node, seen = target, seen + 1
    return node


def business_rejections(spec: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Operation label -> the texts of its documented business-rule 400 examples.

    A text is an example's `error` when it is not a plain validation marker, or its `message`.
    """
    table: dict[str, frozenset[str]] = {}
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            response = _resolve(spec, (operation.get("responses") or {}).get("400"))
            texts: set[str] = set()
            for media in (
                ((response or {}).get("content") or {}).values() if isinstance(response, Mapping) else ()
            ):
                examples = [media.get("example")] + [
                    _resolve(spec, example).get("value") for example in (media.get("examples") or {}).values()
                ]
                for example in examples:
                    if not isinstance(example, Mapping):
                        continue
                    error, message = example.get("error"), example.get("message")
                    if isinstance(error, str) and error not in VALIDATION_MARKERS:
                        texts.add(error)
                    if isinstance(message, str):  # {"error": "Validation failed", "message": "Invalid tiers"}
                        texts.add(message)
            if texts:
                table[f"{method.upper()} {path}"] = frozenset(texts)
    return table


def declared_methods(spec: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Path template -> the methods the spec declares on it."""
    return {
        path: frozenset(method.upper() for method in _METHODS if method in item)
        for path, item in (spec.get("paths") or {}).items()
        if isinstance(item, Mapping)
    }

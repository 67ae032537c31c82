"""A request body against its operation's declared schema (JSON Schema 2020-12, the spec's own refs).

Real traffic is not generated from the spec, so nothing else says whether a client's body was valid;
the proxy reports an invalid body the server accepted, and lists the ones it refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["RequestSchemas"]

_METHODS = ("get", "put", "post", "delete", "patch")
_ROOT = "urn:fanfare-spec"


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


class RequestSchemas:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        registry: Registry[Any] = Registry().with_resource(
            _ROOT, Resource.from_contents(dict(spec), default_specification=DRAFT202012)
        )
        self._validators: dict[str, Draft202012Validator] = {}
        for path, item in (spec.get("paths") or {}).items():
            if not isinstance(item, Mapping):
                continue
            for method in _METHODS:
                body = (
                    (item.get(method) or {}).get("requestBody")
                    if isinstance(item.get(method), Mapping)
                    else None
                )
                if not isinstance(body, Mapping) or "$ref" in body:
                    continue
                content = body.get("content") or {}
                if "application/json" not in content or "schema" not in content["application/json"]:
                    continue
                ref = f"{_ROOT}#/" + _pointer(
                    "paths", path, method, "requestBody", "content", "application/json", "schema"
                )
                self._validators[f"{method.upper()} {path}"] = Draft202012Validator(
                    {"$ref": ref}, registry=registry
                )

    def problems(self, label: str, body: Any, raw: bytes) -> list[str]:
        """What is wrong with a JSON request body for `label` (empty: valid, not JSON-bodied, or no body)."""
        validator = self._validators.get(label)
        if validator is None or not raw:
            return []
        if body is None and raw.strip() not in (b"null",):
            return ["the body is not JSON"]
        found = []
        for error in validator.iter_errors(body):
            where = "/".join(str(part) for part in error.absolute_path) or "(body)"
            found.append(f"{where}: {error.message[:200]}")
        return found

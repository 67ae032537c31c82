"""Error envelopes: how each route family spells an error body (RECONCILIATION.md D7).

* `DetailsEnvelope` (`/api/v1` and the control plane): `{"error", "message"?, "details"?: [{"field",
  "message"}]}`; a validation failure is `{"error": "Validation failed", "details": [...]}`.
* `IssuesEnvelope` (`/api`): `{"error": "validation_error", "issues": [{kind, type, expected, received,
  message, path: [{type, origin, input, key}]}]}` (Valibot's issues); any other error `{"error": ...}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import orjson

from .problems import Problem

__all__ = ["DetailsEnvelope", "Envelope", "IssuesEnvelope"]

#: Valibot echoes the parent container of each path step as `input`; we do too while it stays small,
#: and send null instead of echoing a large request back.
_MAX_INPUT_BYTES = 1024


class Envelope(Protocol):
    """A family's error dialect."""

    def error(self, message: str, /, **extra: Any) -> dict[str, Any]:
        """Any non-validation error: `{"error": message, **extra}`."""
        ...

    def validation(
        self, problems: Sequence[Problem], roots: Mapping[str, Any], message: str | None = None
    ) -> dict[str, Any]:
        """A 400 for `problems`; `roots` maps each location (`body`, `query`...) to its checked input."""
        ...


class DetailsEnvelope:
    """The guide dialect: `{"error", "message"?, "details"?: [{"field", "message"}]}`."""

    __slots__ = ("title",)

    def __init__(self, title: str = "Validation failed") -> None:
        self.title = title

    def error(self, message: str, /, **extra: Any) -> dict[str, Any]:
        return {"error": message, **extra}

    def validation(
        self, problems: Sequence[Problem], roots: Mapping[str, Any], message: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.title}
        if message:
            body["message"] = message
        body["details"] = [{"field": item.field, "message": item.message} for item in problems]
        return body


class IssuesEnvelope:
    """The reference dialect: Valibot issues under `{"error": "validation_error"}`."""

    __slots__ = ()

    def error(self, message: str, /, **extra: Any) -> dict[str, Any]:
        return {"error": message, **extra}

    def validation(
        self, problems: Sequence[Problem], roots: Mapping[str, Any], message: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error": "validation_error",
            "issues": [_issue(item, roots.get(item.location)) for item in problems],
        }
        if message:  # a domain rule's summary ("Invalid loyalty tiers"), as the guide's envelope carries it
            body["message"] = message
        return body


def _issue(item: Problem, root: Any) -> dict[str, Any]:
    path: list[dict[str, Any]] = []
    node = root
    last = len(item.path) - 1
    for index, key in enumerate(item.path):
        container_type = "array" if isinstance(key, int) else "object"
        origin = "key" if item.key_issue and index == last else "value"
        path.append({"type": container_type, "origin": origin, "input": _small(node), "key": key})
        node = _child(node, key)
    return {
        "kind": item.kind,
        "type": item.type,
        "expected": item.expected,
        "received": item.received,
        "message": item.message,
        "path": path,
    }


def _child(node: Any, key: str | int) -> Any:
    try:
        return node[key]
    except (KeyError, IndexError, TypeError):
        return None


def _small(node: Any) -> Any:
    if not isinstance(node, dict | list):
        return node
    try:
        return node if len(orjson.dumps(node)) <= _MAX_INPUT_BYTES else None
    except TypeError:
        return None

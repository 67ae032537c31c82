"""Which spec operation a request is: `GET /api/v1/audiences/abc` is `GET /api/v1/audiences/{audienceId}`.

The scripted scenarios send plain requests; to judge them with the same registered checks as
schemathesis' cases, each is matched to its operation (literal segments beat parameters, so
`/audiences/loyalty-tiers` is not read as `/audiences/{audienceId}`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MatchedOperation", "OperationIndex"]

_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True, slots=True)
class MatchedOperation:
    label: str  # "GET /api/v1/audiences/{audienceId}"
    method: str
    template: str
    path_parameters: dict[str, str]


class OperationIndex:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._routes: list[tuple[tuple[int, ...], str, re.Pattern[str], set[str]]] = []
        for template, item in (spec.get("paths") or {}).items():
            if not isinstance(item, Mapping):
                continue
            methods = {m.upper() for m in _METHODS if m in item}
            segments = template.strip("/").split("/")
            pattern = "/" + "/".join(
                f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") and s.endswith("}") else re.escape(s)
                for s in segments
            )
            # Sort key: more literal segments first, then longer paths.
            literal = tuple(0 if s.startswith("{") else 1 for s in segments)
            self._routes.append((literal, template, re.compile(pattern + "$"), methods))
        self._routes.sort(key=lambda route: route[0], reverse=True)

    def match(self, method: str, path: str) -> MatchedOperation | None:
        for _, template, pattern, methods in self._routes:
            found = pattern.match(path)
            if found and method.upper() in methods:
                return MatchedOperation(
                    label=f"{method.upper()} {template}",
                    method=method.upper(),
                    template=template,
                    path_parameters=dict(found.groupdict()),
                )
        return None

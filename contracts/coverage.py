"""The API coverage matrix: every operation of the spec by family, exercised or not, statuses seen.

`run`, `proxy` and `replay` all fill one; the HTML report draws it and `--min-coverage` reads `percent`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.families import family_of_path

__all__ = ["Coverage", "OperationCoverage"]

_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass
class OperationCoverage:
    label: str
    family: str
    declared: tuple[str, ...]  # the statuses the spec declares, as written ("200", "4XX", "default")
    seen: dict[int, int] = field(default_factory=dict)  # status -> how many answers
    checks: set[str] = field(default_factory=set)

    @property
    def exercised(self) -> bool:
        return bool(self.seen)

    def undeclared(self) -> list[int]:
        def declared(status: int) -> bool:
            text = str(status)
            return text in self.declared or f"{text[0]}XX" in self.declared or "default" in self.declared

        return sorted(status for status in self.seen if not declared(status))


class Coverage:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.operations: dict[str, OperationCoverage] = {}
        self._lock = threading.Lock()
        for path, item in (spec.get("paths") or {}).items():
            family = family_of_path(path)
            if family is None or not isinstance(item, Mapping):
                continue
            for method in _METHODS:
                operation = item.get(method)
                if isinstance(operation, Mapping):
                    label = f"{method.upper()} {path}"
                    statuses = tuple(str(s) for s in (operation.get("responses") or {}))
                    self.operations[label] = OperationCoverage(label, family.name, statuses)

    def saw(self, label: str, status: int) -> None:
        operation = self.operations.get(label)
        if operation is not None:
            with self._lock:  # schemathesis' workers report from several threads
                operation.seen[status] = operation.seen.get(status, 0) + 1

    def ran(self, label: str, check: str) -> None:
        operation = self.operations.get(label)
        if operation is not None:
            operation.checks.add(check)

    def restrict(self, families: tuple[str, ...]) -> Coverage:
        """Only the operations of these families count (a `--family v1` run is not judged on /api)."""
        for label in [k for k, op in self.operations.items() if op.family not in families]:
            del self.operations[label]
        return self

    @property
    def percent(self) -> float:
        if not self.operations:
            return 100.0
        return 100.0 * sum(op.exercised for op in self.operations.values()) / len(self.operations)

"""What each operation may answer, read from the documents: its statuses and its named examples.

Fault rules and `Prefer` use it to force only answers the spec declares; `forced_error` builds such an
answer in the operation's family envelope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from mock_server.web.families import DEFAULT_FAMILIES, Families, Family

__all__ = [
    "CONTROL_FAMILY",
    "FAULTABLE_CONTROL_OPERATIONS",
    "DeclaredOperation",
    "DeclaredResponses",
    "Example",
    "error_text",
    "forced_error",
]

#: The one control-plane operation that is part of the API a client drives (the target of an import's
#: uploadUrl, the mock's stand-in for S3), so fault rules and `Prefer` apply to it too.
FAULTABLE_CONTROL_OPERATIONS = frozenset({"putMockUploadsByImportId"})

#: The control plane's family: never faulted, `Prefer` ignored (a rule must not lock the tool out).
CONTROL_FAMILY = "mock"

#: The mock's own texts where it has them; otherwise the reason phrase, in sentence case.
_ERROR_TEXTS = {401: "Authentication required", 500: "Internal server error"}


@dataclass(frozen=True, slots=True)
class Example:
    """A documented example answer: `status`, its example `name` and the JSON `value`."""

    status: int
    name: str
    value: Any


@dataclass(frozen=True, slots=True)
class DeclaredOperation:
    operation_id: str
    family: Family
    #: Declared status keys as written (`"200"`, `"4XX"`, `"default"`).
    statuses: tuple[str, ...]
    examples: tuple[Example, ...]
    #: Whether fault rules and `Prefer` may touch it (the Admin API and the upload target).
    faultable: bool

    def declares(self, status: int) -> bool:
        keys = self.statuses
        return str(status) in keys or f"{status // 100}XX" in keys or "default" in keys

    @property
    def success(self) -> int | None:
        """The lowest declared 2xx status."""
        found = sorted(int(key) for key in self.statuses if key.isdigit() and key.startswith("2"))
        return found[0] if found else None

    def example(self, name: str, status: int | None = None) -> Example | None:
        """The example called `name`: of `status` if given, else of the success status first, then any."""
        candidates = [e for e in self.examples if e.name == name and (status is None or e.status == status)]
        if not candidates:
            return None
        success = self.success
        return next((e for e in candidates if e.status == success), candidates[0])

    def describe_examples(self) -> str:
        """`400 notSynced, noSource; 409 inProgress`, or `none`."""
        by_status: dict[int, list[str]] = {}
        for example in self.examples:
            by_status.setdefault(example.status, []).append(example.name)
        return (
            "; ".join(f"{status} {', '.join(names)}" for status, names in sorted(by_status.items())) or "none"
        )

    def describe_statuses(self) -> str:
        return ", ".join(self.statuses)

    def refusal_status(self) -> int | None:
        """The status to refuse an impossible override with: 400, or 422 if only that is declared."""
        return next((status for status in (400, 422) if self.declares(status)), None)


class DeclaredResponses:
    """operationId -> `DeclaredOperation`, for every operation of `documents`."""

    def __init__(self, documents: Sequence[Mapping[str, Any]], families: Sequence[Family] = DEFAULT_FAMILIES):
        table = Families(families)
        self._operations: dict[str, DeclaredOperation] = {}
        for document in documents:
            for path, item in (document.get("paths") or {}).items():
                for definition in item.values():
                    if not isinstance(definition, dict) or "operationId" not in definition:
                        continue
                    operation_id = definition["operationId"]
                    family = table.of(path)
                    responses = definition.get("responses") or {}
                    self._operations[operation_id] = DeclaredOperation(
                        operation_id,
                        family,
                        tuple(sorted(str(status).upper() for status in responses)),
                        tuple(_examples(document, responses)),
                        family.name != CONTROL_FAMILY or operation_id in FAULTABLE_CONTROL_OPERATIONS,
                    )

    def get(self, operation_id: str) -> DeclaredOperation | None:
        return self._operations.get(operation_id)

    def __getitem__(self, operation_id: str) -> DeclaredOperation:
        return self._operations[operation_id]

    def faultable(self) -> list[DeclaredOperation]:
        return [operation for operation in self._operations.values() if operation.faultable]

    def declaring(self, status: int) -> list[str]:
        """The faultable operations that declare `status`."""
        return [operation.operation_id for operation in self.faultable() if operation.declares(status)]


def error_text(status: int) -> str:
    if status in _ERROR_TEXTS:
        return _ERROR_TEXTS[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"
    return phrase[:1] + phrase[1:].lower()


def forced_error(
    operation: DeclaredOperation, status: int, why: str, *, error: str | None = None, request_id: str
) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The body (and headers) of a forced `status`: the family's `{"error", "message"}`; 5xx also carry
    `requestId`, like the shell's own 500."""
    body = operation.family.envelope.error(error or error_text(status))
    body["message"] = why
    if status >= 500:
        body["requestId"] = request_id
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return body, headers


def _examples(document: Mapping[str, Any], responses: Mapping[str, Any]) -> Iterable[Example]:
    for status, response in responses.items():
        if not str(status).isdigit():
            continue
        response = _resolve(document, response)
        for media_type, media in (response.get("content") or {}).items():
            if "json" not in media_type:
                continue
            for name, example in (media.get("examples") or {}).items():
                example = _resolve(document, example)
                if "value" in example:
                    yield Example(int(status), name, example["value"])


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        reference = node["$ref"]
        if not reference.startswith("#/"):
            return {}
        node = document
        for part in reference[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
    return node

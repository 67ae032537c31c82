"""The recorder: every call of the flow goes through it. It finds the operation the request reached
(the documents' own path templates), checks the answer is the 2xx that operation declares, validates
the body against that response's schema, and keeps it as a named example of that operation.

What a run cannot repeat is replaced by a stable stand-in of the same form: the random signature of an
upload URL, the random prefix of request ids, and the journal's wall-clock fields (`realAt`,
`durationMs`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema_rs

from mock_server.web.routing import Router

__all__ = ["Recorded", "Recorder", "RecordingError"]

_SIGNATURE = re.compile(r"signature=([A-Za-z0-9_-]+)")
#: A request id is the server process's random prefix and a counter: the prefix is made stable.
_REQUEST_ID = re.compile(r"\breq_[0-9a-f]{8}_")
_STABLE_PREFIX = "req_5eed0000_"
#: Text bodies longer than this are recorded by their first lines.
TEXT_LIMIT = 4096
_EXCERPT = 600
_METHODS = ("get", "put", "post", "delete", "patch")


class RecordingError(AssertionError):
    """The flow did not get what it expected: the examples are not written."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """One example: where it belongs (document, operation, status, media type), its name and content."""

    document: str
    operation_id: str
    status: str
    media_type: str
    name: str
    summary: str
    value: Any = None
    #: The request that was answered (method, path, httpx keywords): a valid call of the operation.
    request: tuple[str, str, dict[str, Any]] | None = field(default=None, compare=False)

    def entry(self) -> dict[str, Any]:
        return {"summary": self.summary, "value": self.value}


@dataclass(frozen=True, slots=True)
class _Operation:
    document: str
    operation_id: str
    responses: Mapping[str, Any]


class Recorder:
    """Sends the flow's requests through `client` and records each answer under the operation it reached."""

    def __init__(self, client: httpx.Client, documents: Mapping[str, dict[str, Any]]) -> None:
        self.client = client
        self.documents = documents
        self.records: list[Recorded] = []
        self._router: Router[_Operation] = Router()
        for name, document in documents.items():
            for template, item in document["paths"].items():
                entry = self._router.add(template)
                for method in _METHODS:
                    operation = item.get(method)
                    if isinstance(operation, dict):
                        entry.methods[method.upper()] = _Operation(
                            name, operation["operationId"], operation["responses"]
                        )
        self._validators: dict[tuple[str, str, str, str], Any] = {}

    def call(
        self,
        name: str,
        summary: str,
        method: str,
        path: str,
        **request: Any,
    ) -> Any:
        """Send the request, record its 2xx JSON body as example `name`, and return the parsed body."""
        response = self.client.request(method, path, **request)
        operation, status, media_type = self._answered(method, path, response)
        value = response.json()
        self._check(operation, status, media_type, value, f"{method} {path}")
        kept = _stand_ins(value)
        self._check(operation, status, media_type, kept, f"{method} {path} (as recorded)")
        document, operation_id = operation.document, operation.operation_id
        request_made = (method, path, request)
        self._keep(
            Recorded(document, operation_id, status, media_type, name, summary, kept, request=request_made)
        )
        return value

    def body(
        self,
        name: str,
        summary: str,
        path: str,
        *,
        accept: str | None = None,
        abbreviate: Callable[[Any], Any] | None = None,
    ) -> None:
        """Record a page, an asset or a whole document: text up to `TEXT_LIMIT` characters as it is, longer
        text by its first lines, binary content by its size, JSON through `abbreviate` (each said in the
        summary)."""
        headers = {"accept": accept} if accept else {}
        response = self.client.get(path, headers=headers)
        operation, status, media_type = self._answered("GET", path, response)
        value: Any
        if "json" in media_type:
            value = response.json() if abbreviate is None else abbreviate(response.json())
            self._check(operation, status, media_type, value, f"GET {path}")
        elif media_type.startswith("text/") or media_type.endswith(("+xml", "yaml")):
            text = response.text
            value = text if len(text) <= TEXT_LIMIT else _first_lines(text)
            if value != text:
                summary += f" (its first {len(value):,} of {len(text):,} characters)"
        else:
            value = f"({len(response.content):,} bytes of {media_type})"
            summary += " (binary: shown by its size)"
        self._keep(
            Recorded(operation.document, operation.operation_id, status, media_type, name, summary, value)
        )

    def send(self, method: str, path: str, expect: int, **request: Any) -> httpx.Response:
        """A call the flow needs but does not record (a setup step, or an example recorded elsewhere)."""
        response = self.client.request(method, path, **request)
        if response.status_code != expect:
            raise RecordingError(
                f"{method} {path}: {response.status_code} {response.text[:300]}, expected {expect}"
            )
        return response

    def _answered(self, method: str, path: str, response: httpx.Response) -> tuple[_Operation, str, str]:
        found = self._router.match(httpx.URL(path).raw_path.split(b"?")[0])
        operation = found[0].methods.get(method.upper()) if found else None
        if operation is None:
            raise RecordingError(f"{method} {path} reaches no operation of the documents")
        status = str(response.status_code)
        if not status.startswith("2") or status not in operation.responses:
            raise RecordingError(
                f"{method} {path} ({operation.operation_id}): {status} {response.text[:300]}"
            )
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        content = operation.responses[status].get("content") or {}
        if media_type not in content:
            raise RecordingError(f"{operation.operation_id} {status}: undeclared content type {media_type!r}")
        return operation, status, media_type

    def _check(self, operation: _Operation, status: str, media_type: str, value: Any, what: str) -> None:
        key = (operation.document, operation.operation_id, status, media_type)
        validator = self._validators.get(key)
        if validator is None:
            document = self.documents[operation.document]
            schema = operation.responses[status]["content"][media_type]["schema"]
            validator = jsonschema_rs.validator_for(
                {**schema, "components": document.get("components", {})}, validate_formats=True
            )
            self._validators[key] = validator
        problems = [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(value)]
        if problems:
            raise RecordingError(f"{what}: the body breaks its schema: {problems[:5]}")

    def _keep(self, record: Recorded) -> None:
        for earlier in self.records:
            if (earlier.document, earlier.operation_id, earlier.name) == (
                record.document,
                record.operation_id,
                record.name,
            ):
                raise RecordingError(f"{record.operation_id}: two examples named {record.name!r}")
        self.records.append(record)


def _stand_ins(value: Any) -> Any:
    """The body with what no run repeats made stable: a signature becomes a hash of the URL around it
    (the same form: 43 URL-safe characters), a request id's random prefix a fixed one, and the
    journal's real time follows its virtual time."""
    text = json.dumps(value, ensure_ascii=False)
    if "signature=" in text or "req_" in text:
        text = _SIGNATURE.sub(lambda match: "signature=" + _stable(match.string, match.start()), text)
        value = json.loads(_REQUEST_ID.sub(_STABLE_PREFIX, text))
    return _journal_times(value)


def _stable(text: str, at: int) -> str:
    start = text.rfind('"', 0, at) + 1
    digest = hashlib.sha256(text[start:at].encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _journal_times(value: Any) -> Any:
    if isinstance(value, dict):
        out = {key: _journal_times(item) for key, item in value.items()}
        if "realAt" in out and "at" in out:
            out["realAt"] = out["at"]
        if "durationMs" in out and isinstance(out["durationMs"], (int, float)):
            out["durationMs"] = 1.2
        return out
    if isinstance(value, list):
        return [_journal_times(item) for item in value]
    return value


def _first_lines(text: str) -> str:
    cut = text.rfind("\n", 0, _EXCERPT)
    return text[: cut + 1 if cut > 0 else _EXCERPT]

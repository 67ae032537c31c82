"""The response side of the contract: which statuses an operation declares and the schema of each JSON
body, checked in strict mode so the mock cannot drift from its own spec.

Lookup follows OpenAPI: the exact status, then its range (`4XX`), then `default`.
"""

from __future__ import annotations

from typing import Any

import orjson

from .bodies import is_json_media_type
from .references import escape, resolve
from .validators import CompiledSchema, SchemaCompiler

__all__ = ["ResponseContract", "ResponseContractError", "compile_responses"]

_NO_BODY = object()


class ResponseContractError(AssertionError):
    """A reply the spec does not allow: a bug in a handler (or the spec). Raised in strict mode."""


class _Declared:
    __slots__ = ("json", "media_types")

    def __init__(self, media_types: frozenset[str], json: CompiledSchema | None) -> None:
        self.media_types = media_types
        self.json = json


class ResponseContract:
    __slots__ = ("_by_status", "operation_id")

    def __init__(self, operation_id: str, by_status: dict[str, _Declared]) -> None:
        self.operation_id = operation_id
        self._by_status = by_status

    def declares(self, status: int) -> bool:
        return self._find(status) is not None

    def statuses(self) -> list[str]:
        return sorted(self._by_status)

    def _find(self, status: int) -> _Declared | None:
        by_status = self._by_status
        return by_status.get(str(status)) or by_status.get(f"{status // 100}XX") or by_status.get("default")

    def check(self, status: int, media_type: str, payload: bytes, body: Any = _NO_BODY) -> None:
        """Raise `ResponseContractError` unless the serialized reply is one the operation declares.

        `body` (the object `payload` was serialized from) is checked first, sparing a parse on the hot
        path; anything it does not pass (a non-JSON type such as a datetime, a str enum, or a real
        mismatch) is decided on the parsed `payload`, which is what the client receives. One gap: orjson
        writes NaN and infinities as null, which the object check sees as numbers.
        """
        declared = self._find(status)
        if declared is None:
            raise ResponseContractError(
                f"{self.operation_id} answered {status}, which it does not declare "
                f"(declared: {', '.join(self.statuses()) or 'none'})"
            )
        if not declared.media_types:
            if payload:
                raise ResponseContractError(
                    f"{self.operation_id} answered {status} with a body; the spec declares none"
                )
            return
        base = media_type.split(";", 1)[0].strip().lower()
        if base not in declared.media_types and not any(
            (pattern.endswith("/*") and base.startswith(pattern[:-1])) or pattern == "*/*"
            for pattern in declared.media_types
        ):
            raise ResponseContractError(
                f"{self.operation_id} answered {status} as {base}; "
                f"the spec declares {', '.join(sorted(declared.media_types))}"
            )
        if declared.json is not None and is_json_media_type(base):
            if body is not _NO_BODY and body is not None:
                try:
                    if declared.json.is_valid(body):
                        return
                except (ValueError, TypeError):
                    pass
            instance = orjson.loads(payload) if payload else None
            if not declared.json.is_valid(instance):
                errors = "; ".join(declared.json.errors(instance))
                raise ResponseContractError(
                    f"{self.operation_id} answered {status} with a body that does not match its schema: "
                    f"{errors}"
                )


def compile_responses(
    document: dict[str, Any],
    document_index: int,
    path_key: str,
    method: str,
    definition: dict[str, Any],
    operation_id: str,
    compiler: SchemaCompiler,
) -> ResponseContract:
    by_status: dict[str, _Declared] = {}
    base = f"/paths/{escape(path_key)}/{method}/responses"
    for status, raw in (definition.get("responses") or {}).items():
        pointer, response = resolve(document, f"{base}/{escape(str(status))}", raw)
        content = response.get("content") or {}
        media_types = frozenset(media.split(";", 1)[0].strip().lower() for media in content)
        json_validator = None
        for media_type, media in content.items():
            if is_json_media_type(media_type.split(";", 1)[0].strip().lower()) and "schema" in media:
                json_validator = compiler.at(
                    document_index, f"{pointer}/content/{escape(media_type)}/schema", "body"
                )
                break
        by_status[str(status).upper()] = _Declared(media_types, json_validator)
    return ResponseContract(operation_id, by_status)

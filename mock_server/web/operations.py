"""The documents' operations: `Operation` (what a handler is told), where each one lives, and its
compiled form (auth requirement, parameter and body validators, response contract, handler chain).

Everything here runs once, at start; nothing in this module is on the request path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .bodies import BodySpec, compile_body
from .calls import Handler
from .envelopes import Envelope
from .families import Families
from .parameters import ParameterSet, compile_parameters
from .responses import ResponseContract, compile_responses
from .security import Requirement, requirement_of
from .validators import SchemaCompiler

__all__ = [
    "HTTP_METHODS",
    "CompiledOperation",
    "Operation",
    "OperationSource",
    "StartupError",
    "collect_operations",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class StartupError(ValueError):
    """The documents and the handler table do not fit together; the app refuses to start."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a document. `method` is upper case; `path` the template
    (`/api/audiences/{audienceId}`); `family` the route family (`v1`, `api`, `mock` by default)."""

    operation_id: str
    method: str
    path: str
    family: str


@dataclass(frozen=True, slots=True)
class OperationSource:
    """Where an operation is defined: the document (and its index in `documents`), path and method keys."""

    operation: Operation
    document_index: int
    document: dict[str, Any]
    path_key: str
    method_key: str
    path_item: dict[str, Any]
    definition: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.operation.operation_id} ({self.operation.method} {self.operation.path})"


def collect_operations(documents: Sequence[dict[str, Any]], families: Families) -> list[OperationSource]:
    found: list[OperationSource] = []
    ids: dict[str, str] = {}
    routes: set[tuple[str, str]] = set()
    problems: list[str] = []
    for index, document in enumerate(documents):
        for path_key, path_item in (document.get("paths") or {}).items():
            for method_key in HTTP_METHODS:
                definition = path_item.get(method_key)
                if not isinstance(definition, dict):
                    continue
                label = f"{method_key.upper()} {path_key}"
                operation_id = definition.get("operationId")
                if not operation_id:
                    problems.append(f"{label} has no operationId")
                    continue
                if operation_id in ids:
                    problems.append(
                        f"operationId {operation_id!r} is used by {ids[operation_id]} and {label}"
                    )
                    continue
                if (method_key, path_key) in routes:
                    problems.append(f"{label} is defined by two documents")
                    continue
                ids[operation_id] = label
                routes.add((method_key, path_key))
                operation = Operation(operation_id, method_key.upper(), path_key, families.of(path_key).name)
                found.append(
                    OperationSource(operation, index, document, path_key, method_key, path_item, definition)
                )
    if problems:
        raise StartupError("the documents cannot be served: " + "; ".join(problems))
    return found


class CompiledOperation:
    """An operation ready to serve. `chain` is the handler wrapped in the call-level hooks."""

    __slots__ = ("auth", "body", "chain", "envelope", "operation", "parameters", "responses")

    def __init__(
        self,
        operation: Operation,
        envelope: Envelope,
        auth: Requirement | None,
        parameters: ParameterSet | None,
        body: BodySpec | None,
        responses: ResponseContract,
        chain: Handler,
    ) -> None:
        self.operation = operation
        self.envelope = envelope
        self.auth = auth
        self.parameters = parameters
        self.body = body
        self.responses = responses
        self.chain = chain


def compile_operation(
    source: OperationSource, compiler: SchemaCompiler, envelope: Envelope, chain: Handler
) -> CompiledOperation:
    where = source.where
    try:
        parameters = compile_parameters(
            source.document,
            source.document_index,
            source.path_key,
            source.path_item,
            source.definition,
            source.method_key,
            compiler,
            where,
        )
        body = compile_body(
            source.document,
            source.document_index,
            source.path_key,
            source.method_key,
            source.definition,
            compiler,
        )
        responses = compile_responses(
            source.document,
            source.document_index,
            source.path_key,
            source.method_key,
            source.definition,
            source.operation.operation_id,
            compiler,
        )
        auth = requirement_of(source.document, source.definition, where)
    except StartupError:
        raise
    except Exception as error:
        raise StartupError(f"{where}: {error}") from error
    return CompiledOperation(
        source.operation,
        envelope,
        auth,
        parameters if parameters.needed else None,
        body,
        responses,
        chain,
    )

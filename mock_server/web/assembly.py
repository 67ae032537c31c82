"""`build_app`: the documents and a table of handlers compiled, once at start, into the `Shell`; it
refuses to start when they disagree (see its docstring for every option)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .bodies import BodyLimits
from .calls import Around, CallAround, Handler
from .cors import LOCAL_ORIGINS, CorsPolicy
from .error_table import DEFAULT_ERROR_TABLE, ErrorRule, ErrorTable
from .families import DEFAULT_FAMILIES, Families, Family
from .middleware import Middleware, compose_call_arounds
from .operations import CompiledOperation, Operation, StartupError, collect_operations, compile_operation
from .routing import Router
from .security import BearerAuth
from .shell import Shell
from .validators import SchemaCompiler

__all__ = ["build_app"]


def build_app(
    *,
    documents: Sequence[dict[str, Any]],
    handlers: Mapping[str, Handler],
    state: Any,
    strict_responses: bool = True,
    raise_server_errors: bool | None = None,
    cors_origins: str | Sequence[str] = LOCAL_ORIGINS,
    cors_by_prefix: Mapping[str, str | Sequence[str]] | None = None,
    max_json_body: int = 1024 * 1024,
    max_json_depth: int = 64,
    max_json_items: int = 10_000,
    body_limits: Mapping[str, BodyLimits] | None = None,
    validate_formats: bool = True,
    families: Sequence[Family] = DEFAULT_FAMILIES,
    errors: Mapping[type[BaseException], ErrorRule] | None = None,
    arounds: Sequence[Around] = (),
    call_arounds: Sequence[CallAround] = (),
    middleware: Sequence[Middleware] = (),
    auth: BearerAuth | None = None,
) -> Shell:
    """Compile `documents` (OpenAPI 3.1 dicts, e.g. `fanfare_spec.load("fanfare")` and `load("mock")`)
    and `handlers` (operationId -> `async (Call) -> Reply`) into an ASGI app.

    Raises `StartupError` naming every operation without a handler and every handler without an
    operation (and any operation the shell cannot serve).

    * `strict_responses`: check every reply against the operation's declared statuses and schemas; a
      mismatch raises `ResponseContractError` (or, with `raise_server_errors=False`, is logged and
      answered 500).
    * `raise_server_errors`: let unexpected exceptions propagate (tests) instead of answering 500 in the
      family's envelope with `requestId`; defaults to `strict_responses`.
    * `cors_origins`: `"local"` (localhost and 127.0.0.1 on any port), `"*"`, an explicit list, or `[]`.
      `cors_by_prefix`: another policy for the paths under a prefix (`{"/_mock": []}`: no CORS there).
    * `max_json_body` (bytes, 413), `max_json_depth` (400), `max_json_items` (entries per array or
      object, 413): the JSON body limits; `body_limits` (operationId -> `BodyLimits`) another set for
      some operations (a state restore takes whatever the mock can export). A body over `max_json_body`
      is parsed off the event loop.
    * `validate_formats`: check `format` (uuid, date-time, email...) in requests and responses
      (schemathesis' negative mode sends format violations and expects a 4xx).
    * `families`: the route-family table (prefix -> error envelope); `errors`: extra error-table rules,
      merged over the default (Unauthorized 401, NotFound 404, Invalid 400, Conflict 409, TooLarge 413).
    * `arounds`, `call_arounds`, `middleware`: the extension points (see `mock_server.web.middleware`).
    """
    family_table = Families(families)
    sources = collect_operations(documents, family_table)
    declared = {source.operation.operation_id for source in sources}
    missing = sorted(declared - set(handlers))
    orphans = sorted(set(handlers) - declared)
    if missing or orphans:
        parts = []
        if missing:
            parts.append(f"operations without a handler: {', '.join(missing)}")
        if orphans:
            parts.append(f"handlers without an operation: {', '.join(orphans)}")
        raise StartupError("the handlers do not match the documents; " + "; ".join(parts))

    compiler = SchemaCompiler(documents, validate_formats=validate_formats)
    router: Router[CompiledOperation] = Router()
    operations: dict[str, Operation] = {}
    for source in sources:
        operation = source.operation
        chain = compose_call_arounds(call_arounds, handlers[operation.operation_id])
        compiled = compile_operation(source, compiler, family_table.named(operation.family).envelope, chain)
        try:
            entry = router.add(operation.path)
        except ValueError as error:
            raise StartupError(str(error)) from error
        entry.methods[operation.method] = compiled
        operations[operation.operation_id] = operation
        own = (body_limits or {}).get(operation.operation_id)
        if own is not None:
            if compiled.body is None:
                raise StartupError(f"body limits for {operation.operation_id}, which takes no body")
            compiled.body.limits = own
    unknown = sorted(set(body_limits or {}) - set(operations))
    if unknown:
        raise StartupError(f"body limits for unknown operations: {', '.join(unknown)}")
    for entry in router.entries.values():
        entry.allow = ", ".join(sorted(entry.methods))

    error_rules = dict(DEFAULT_ERROR_TABLE)
    if errors:
        error_rules.update(errors)
    return Shell(
        router=router,
        families=family_table,
        state=state,
        strict_responses=strict_responses,
        raise_server_errors=strict_responses if raise_server_errors is None else raise_server_errors,
        cors=CorsPolicy(cors_origins),
        cors_by_prefix=[
            (prefix.encode(), CorsPolicy(origins)) for prefix, origins in (cors_by_prefix or {}).items()
        ],
        limits=BodyLimits(max_json_body, max_json_depth, max_json_items),
        auth=auth or BearerAuth(),
        errors=ErrorTable(error_rules),
        arounds=arounds,
        middleware=middleware,
        operations=operations,
    )

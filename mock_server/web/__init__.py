"""The thin, spec-driven web shell: OpenAPI 3.1 documents plus a table of handlers become one fast,
pure ASGI app. It knows nothing about audiences; everything it does is read from the documents.

Public interface (what the handlers, dialect views and app factory code against):

* `build_app(*, documents, handlers, state, strict_responses=True, ...) -> Shell` (see `assembly.build_app`)
* `Operation(operation_id, method, path, family)`: frozen, what an operation is
* `Call(operation, path_params, query, body, headers, secret_key, state, request_id, ...)`: what a
  handler receives; `await call.receive_chunks()` streams a non-JSON body
* `Reply(status, body=None, headers=None, media_type="application/json")`: what it returns
* `Handler = async (Call) -> Reply`
* hooks: `Around = async (Exchange, next) -> Reply`, `CallAround = async (Call, next) -> Reply`,
  `Middleware = (ASGIApp) -> ASGIApp`
* errors: `StartupError` (documents and handlers disagree), `ResponseContractError` (strict mode),
  the error table (`ErrorRule`, `DEFAULT_ERROR_TABLE`), families and envelopes, `redact(key)`
"""

from __future__ import annotations

from .assembly import build_app
from .calls import Around, Call, CallAround, Exchange, Handler, Next, Reply
from .envelopes import DetailsEnvelope, Envelope, IssuesEnvelope
from .error_table import DEFAULT_ERROR_TABLE, ErrorRule
from .families import DEFAULT_FAMILIES, Family
from .middleware import ASGIApp, Middleware
from .operations import Operation, StartupError
from .problems import Problem
from .responses import ResponseContractError
from .security import BearerAuth, redact
from .shell import Shell

__all__ = [
    "DEFAULT_ERROR_TABLE",
    "DEFAULT_FAMILIES",
    "ASGIApp",
    "Around",
    "BearerAuth",
    "Call",
    "CallAround",
    "DetailsEnvelope",
    "Envelope",
    "ErrorRule",
    "Exchange",
    "Family",
    "Handler",
    "IssuesEnvelope",
    "Middleware",
    "Next",
    "Operation",
    "Problem",
    "Reply",
    "ResponseContractError",
    "Shell",
    "StartupError",
    "build_app",
    "redact",
]

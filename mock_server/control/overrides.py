"""The `CallAround` that lets a call be answered by something other than its handler: fault and latency
rules, and the request's own `Prefer` header. It runs after auth and validation, its replies are checked
against the spec in strict mode like a handler's, and a forced answer never reaches the handler, so it
changes no state. What it did is noted on the exchange for the journal (`notes["forced"]`, `["delay_ms"]`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from mock_server.control.declared import DeclaredOperation, DeclaredResponses, forced_error
from mock_server.control.faults import NOTHING, FaultRule
from mock_server.control.prefer import Preference
from mock_server.domain.kernel import Invalid
from mock_server.web.calls import Call, CallAround, Handler, Reply

__all__ = ["override_hook"]


def override_hook(declared: DeclaredResponses) -> CallAround:
    """Build the hook; `call.state` must carry `faults` (a `FaultBook`) and `keys`."""

    async def override(call: Call, handler: Handler) -> Reply:
        operation = declared.get(call.operation.operation_id)
        if operation is None or not operation.faultable:
            return await handler(call)
        state = call.state
        book = state.faults
        header = call.headers.get("prefer")
        if not book.rules and header is None:
            return await handler(call)
        key = call.secret_key
        if key is not None and state.keys is not None and key not in state.keys:
            return await handler(call)  # an unpinned key is the handler's 401, whatever was asked
        preference = Preference.parse(header) if header is not None else None
        wants = preference is not None and preference.overrides
        applied = book.take(operation, key, answers=not wants) if book.rules else NOTHING
        if applied.delay_ms:
            _notes(call)["delay_ms"] = applied.delay_ms
            if not call.replayed:  # a replica applying its log never waits; the answering worker does
                await asyncio.sleep(applied.delay_ms / 1000)
        if wants:
            assert preference is not None
            reply = _preferred(operation, preference, call)
            if reply is not None:
                return reply
        elif applied.answer is not None:
            return _from_rule(operation, applied.answer, call)
        return await handler(call)

    return override


def _notes(call: Call) -> dict[str, Any]:
    exchange = call.exchange
    if exchange is None:
        return {}
    if exchange.notes is None:
        exchange.notes = {}
    return exchange.notes


def _from_rule(operation: DeclaredOperation, rule: FaultRule, call: Call) -> Reply:
    _notes(call)["forced"] = {"by": "fault", "ruleId": rule.id}
    if rule.example is not None:
        return Reply(rule.example.status, rule.example.value, headers=_auth_header(rule.example.status))
    assert rule.status is not None
    body, headers = forced_error(
        operation,
        rule.status,
        f"Forced by fault rule {rule.id}",
        error=rule.error,
        request_id=call.request_id,
    )
    return Reply(rule.status, body, headers=headers)


def _preferred(operation: DeclaredOperation, preference: Preference, call: Call) -> Reply | None:
    """The answer `Prefer` asks for; None to let the handler answer (a declared 2xx code)."""
    status: int | None = None
    if preference.code is not None:
        status = preference.status
        if status is None:
            return _refuse(operation, f"Prefer: code={preference.code} is not an HTTP status (e.g. code=404)")
        if not operation.declares(status):
            return _refuse(
                operation,
                f"Prefer: code={status} is not declared by {operation.operation_id}; "
                f"it declares {operation.describe_statuses()}",
            )
    if preference.example is not None:
        example = operation.example(preference.example, status)
        if example is None:
            where = f" for {status}" if status is not None else ""
            return _refuse(
                operation,
                f"Prefer: example={preference.example}: {operation.operation_id} has no example of that "
                f"name{where}; its named examples: {operation.describe_examples()}",
            )
        _notes(call)["forced"] = {"by": "prefer", "preference": preference.describe()}
        return Reply(example.status, example.value, headers=_auth_header(example.status))
    assert status is not None
    if 200 <= status < 300:
        return None  # the handler answers its declared success from the world
    if status < 400:
        return _refuse(operation, f"Prefer: code={status}: only 2xx, 4xx and 5xx codes can be asked for")
    _notes(call)["forced"] = {"by": "prefer", "preference": preference.describe()}
    body, headers = forced_error(
        operation, status, f"Forced by Prefer: code={status}", request_id=call.request_id
    )
    return Reply(status, body, headers=headers)


def _refuse(operation: DeclaredOperation, message: str) -> Reply | None:
    """400 in the family's envelope (a domain error, so the journal says `domain_error`), or 422 if only
    that is declared; an operation that declares neither just ignores the preference."""
    status = operation.refusal_status()
    if status == 400:
        raise Invalid(message)
    if status is None:
        return None
    return Reply(status, operation.family.envelope.error(message))


def _auth_header(status: int) -> dict[str, str] | None:
    return {"WWW-Authenticate": "Bearer"} if status == 401 else None

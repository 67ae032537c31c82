"""Fault and latency rules: which calls get delayed or answered with a declared error instead of their
handler, for how many calls. A rule can only ever ask for an answer the spec declares.

The book is shared by the server's event loop and a test's thread (the live fixture), so every change
takes a lock; `rules` is an immutable snapshot, cheap to check on every call.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import get_close_matches
from typing import Any

from mock_server.control.declared import (
    FAULTABLE_CONTROL_OPERATIONS,
    DeclaredOperation,
    DeclaredResponses,
    Example,
)
from mock_server.control.fault import Fault
from mock_server.control.redaction import key_tag
from mock_server.domain.kernel import Invalid, Issue
from mock_server.web.security import redact

__all__ = ["Applied", "Fault", "FaultBook", "FaultRule"]


@dataclass(slots=True)
class FaultRule:
    """One active rule: the `Fault` asked for (without its key), its id, and what the book resolved (the
    status an example answers with). The tenant is kept as the redacted key and the key's tag, never the
    key itself."""

    id: int
    fault: Fault
    tenant: str | None
    key_tag: int | None
    status: int | None
    example: Example | None
    remaining: int | None
    hits: int = 0

    @property
    def operation_id(self) -> str | None:
        return self.fault.operation_id

    @property
    def error(self) -> str | None:
        return self.fault.error

    @property
    def latency_ms(self) -> int:
        return self.fault.latency_ms

    @property
    def times(self) -> int | None:
        return self.fault.times

    @property
    def answers(self) -> bool:
        return self.status is not None

    def matches(self, operation: DeclaredOperation, key_tag: int | None) -> bool:
        if self.operation_id is not None and self.operation_id != operation.operation_id:
            return False
        if self.key_tag is not None and self.key_tag != key_tag:
            return False
        # A rule without operationId only touches the operations that declare its status.
        return self.status is None or operation.declares(self.status)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operationId": self.operation_id,
            "tenant": self.tenant,
            "status": self.status,
            "example": self.example.name if self.example else None,
            "error": self.error,
            "latencyMs": self.latency_ms,
            "times": self.times,
            "remaining": self.remaining,
            "hits": self.hits,
        }


@dataclass(frozen=True, slots=True)
class Applied:
    """What the rules did to one call: the total delay, and the rule that answers it (if any)."""

    delay_ms: int = 0
    answer: FaultRule | None = None


NOTHING = Applied()


class FaultBook:
    def __init__(self, declared: DeclaredResponses, keys: Sequence[str] | None = None) -> None:
        self.declared = declared
        self._pinned = None if keys is None else frozenset(key_tag(key) for key in keys)
        self._lock = threading.Lock()
        self._next_id = 1
        #: The active rules in the order they apply (replaced, never mutated in place).
        self.rules: tuple[FaultRule, ...] = ()

    # -- changes -------------------------------------------------------------------------------------

    def add(self, fault: Fault) -> FaultRule:
        """Keep `fault` as a rule, or raise `Invalid` saying why it could never apply as asked."""
        status, example, error, latency_ms, times = (
            fault.status,
            fault.example,
            fault.error,
            fault.latency_ms,
            fault.times,
        )
        operation = self._operation(fault.operation_id) if fault.operation_id is not None else None
        if status is not None and not 400 <= status <= 599:
            raise Invalid(
                "A fault answers an error status (400-599)", (Issue("status", f"{status} is not an error"),)
            )
        tag = key_tag(fault.key) if fault.key is not None else None
        if tag is not None and self._pinned is not None and tag not in self._pinned:
            raise Invalid(
                "Unknown secret key: the mock only accepts its --keys", (Issue("secretKey", "not pinned"),)
            )
        if times is not None and times < 1:
            raise Invalid("times counts calls: 1 or more", (Issue("times", "must be 1 or more"),))
        if latency_ms < 0:
            raise Invalid("latencyMs cannot be negative", (Issue("latencyMs", "must be 0 or more"),))
        found: Example | None = None
        if example is not None:
            if error is not None:
                raise Invalid(
                    "Give error with status, not with example", (Issue("error", "the example is the body"),)
                )
            found = self._example(operation, example, status)
            status = found.status
        elif status is not None:
            self._check_status(operation, status)
        elif error is not None:
            raise Invalid("error is the text of a status: give status too", (Issue("error", "needs status"),))
        elif not latency_ms:
            raise Invalid(
                "A rule needs status, example or latencyMs", (Issue("", "give status, example or latencyMs"),)
            )
        with self._lock:
            rule = FaultRule(
                self._next_id, replace(fault, key=None), redact(fault.key), tag, status, found, times
            )
            self._next_id += 1
            self.rules = (*self.rules, rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            kept = tuple(rule for rule in self.rules if rule.id != rule_id)
            removed = len(kept) != len(self.rules)
            self.rules = kept
        return removed

    def clear(self, secret_key: str | None = None) -> int:
        """Remove every rule, or (with a key) the rules scoped to that tenant."""
        with self._lock:
            gone = None if secret_key is None else key_tag(secret_key)
            kept = () if gone is None else tuple(rule for rule in self.rules if rule.key_tag != gone)
            removed = len(self.rules) - len(kept)
            self.rules = kept
        return removed

    # -- on a call -----------------------------------------------------------------------------------

    def take(self, operation: DeclaredOperation, secret_key: str | None, *, answers: bool = True) -> Applied:
        """Apply the rules to one call: every matching latency adds up, the first matching answer wins
        (none when `answers` is false: the request's own `Prefer` decides). A rule counts one use when
        it applied something; a rule whose `times` ran out is gone."""
        if not self.rules:
            return NOTHING
        delay = 0
        answer: FaultRule | None = None
        tag = key_tag(secret_key) if secret_key is not None else None
        with self._lock:
            spent = False
            for rule in self.rules:
                if not rule.matches(operation, tag):
                    continue
                used = False
                if rule.latency_ms:
                    delay += rule.latency_ms
                    used = True
                if rule.answers and answers and answer is None:
                    answer = rule
                    used = True
                if used:
                    rule.hits += 1
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        spent = spent or rule.remaining <= 0
            if spent:
                self.rules = tuple(r for r in self.rules if r.remaining is None or r.remaining > 0)
        return Applied(delay, answer) if delay or answer else NOTHING

    # -- checks --------------------------------------------------------------------------------------

    def _operation(self, operation_id: str) -> DeclaredOperation:
        operation = self.declared.get(operation_id)
        if operation is None:
            known = [op.operation_id for op in self.declared.faultable()]
            close = get_close_matches(operation_id, known, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise Invalid(f"Unknown operationId {operation_id!r}{hint}", (Issue("operationId", "unknown"),))
        if not operation.faultable:
            allowed = ", ".join(sorted(FAULTABLE_CONTROL_OPERATIONS))
            raise Invalid(
                f"{operation_id} is a control-plane operation: faults apply to the Admin API and {allowed}",
                (Issue("operationId", "control plane"),),
            )
        return operation

    def _check_status(self, operation: DeclaredOperation | None, status: int) -> None:
        if operation is not None:
            if not operation.declares(status):
                raise Invalid(
                    f"{operation.operation_id} does not declare {status}; "
                    f"it declares {operation.describe_statuses()}",
                    (Issue("status", f"not declared by {operation.operation_id}"),),
                )
        elif not self.declared.declaring(status):
            raise Invalid(f"No operation declares {status}", (Issue("status", "declared nowhere"),))

    def _example(self, operation: DeclaredOperation | None, name: str, status: int | None) -> Example:
        if operation is None:
            raise Invalid(
                "An example belongs to one operation: give operationId",
                (Issue("example", "needs operationId"),),
            )
        if status is not None:
            self._check_status(operation, status)
        found = operation.example(name, status)
        if found is None:
            where = f" for {status}" if status is not None else ""
            raise Invalid(
                f"{operation.operation_id} has no example named {name!r}{where}; "
                f"its named examples: {operation.describe_examples()}",
                (Issue("example", "not documented"),),
            )
        if not 400 <= found.status <= 599:
            raise Invalid(
                f"Example {name!r} is a {found.status} answer: a fault answers an error status",
                (Issue("example", "not an error answer"),),
            )
        return found

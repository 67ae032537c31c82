"""The one table from domain errors to HTTP: a status and a body in the family's envelope.

Lookup walks the exception's MRO, so an error class defined anywhere maps through its nearest listed
base (`IllegalTransition` through `Conflict`). Unlisted exceptions are the shell's 500 path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.domain.kernel import Conflict, Invalid, Issue, NotFound, TooLarge, Unauthorized

from .envelopes import Envelope
from .problems import Problem, describe

__all__ = ["DEFAULT_ERROR_TABLE", "ErrorRule", "ErrorTable"]

Render = Callable[[BaseException, Envelope, Any], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """`render(error, envelope, body)` builds the reply body; `body` is the request's parsed JSON body."""

    status: int
    render: Render


def _message(error: BaseException, envelope: Envelope, body: Any) -> dict[str, Any]:
    return envelope.error(getattr(error, "message", None) or str(error))


def _invalid(error: BaseException, envelope: Envelope, body: Any) -> dict[str, Any]:
    assert isinstance(error, Invalid)
    if all(not issue.field for issue in error.issues):
        # A business rule about the request as a whole ("Audience is not a synced list"): the guide
        # documents these as `{"error": "<message>"}`, and the reference's 400 allows `{error}` too.
        return envelope.error(error.message)
    problems = [_problem_of(issue, body) for issue in error.issues]
    return envelope.validation(problems, {"body": body}, message=error.message)


def _problem_of(issue: Issue, body: Any) -> Problem:
    path: tuple[str | int, ...] = (
        tuple(int(part) if part.isdigit() else part for part in issue.field.split(".") if part)
        if issue.field
        else ()
    )
    node = body
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
            break
    received = describe(node) if path else "the request"
    return Problem("body", path, "validation", "check", "a value the domain accepts", received, issue.message)


DEFAULT_ERROR_TABLE: Mapping[type[BaseException], ErrorRule] = {
    Unauthorized: ErrorRule(401, _message),
    NotFound: ErrorRule(404, _message),
    Invalid: ErrorRule(400, _invalid),
    Conflict: ErrorRule(409, _message),
    TooLarge: ErrorRule(413, _message),
}


class ErrorTable:
    __slots__ = ("_cache", "_rules")

    def __init__(self, rules: Mapping[type[BaseException], ErrorRule] = DEFAULT_ERROR_TABLE) -> None:
        self._rules = dict(rules)
        self._cache: dict[type[BaseException], ErrorRule | None] = {}

    def lookup(self, error: BaseException) -> ErrorRule | None:
        kind = type(error)
        try:
            return self._cache[kind]
        except KeyError:
            pass
        rule = next((self._rules[base] for base in kind.__mro__ if base in self._rules), None)
        self._cache[kind] = rule
        return rule

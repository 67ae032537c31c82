"""`Problem`: one thing wrong with one part of a request, in a neutral form every family's envelope renders.

The wording follows Valibot (the `/api` family's server validates with it): `Invalid type: Expected
string but received 123`, `Invalid key: Expected "name" but received undefined`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Problem", "describe", "problem"]

_MAX_QUOTED = 80


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong, where.

    `location` is the request part (`body`, `query`, `path`, `header`); `path` the keys and indexes inside
    it (for a parameter, its name first). `key_issue` marks a problem with a key itself (missing or
    unexpected), which Valibot reports with `origin: "key"`. `kind`, `type`, `expected` and `received`
    are Valibot's issue fields; `message` is the sentence a person reads.
    """

    location: str
    path: tuple[str | int, ...]
    kind: str
    type: str
    expected: str
    received: str
    message: str
    key_issue: bool = False

    @property
    def field(self) -> str:
        """The dotted path (`rules.0.values`), "" for the whole input: the guide dialect's `field`."""
        return ".".join(str(part) for part in self.path)


def describe(value: Any) -> str:
    """A value as Valibot prints it in `received`: strings quoted, containers by kind, never in full."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= _MAX_QUOTED else value[:_MAX_QUOTED] + "…"
        return orjson.dumps(text).decode()
    if isinstance(value, list | tuple):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def problem(
    location: str,
    path: tuple[str | int, ...],
    *,
    kind: str = "schema",
    type: str,
    expected: str,
    received: str,
    what: str = "type",
    key_issue: bool = False,
) -> Problem:
    """A problem whose message is Valibot's `Invalid <what>: Expected <expected> but received <received>`."""
    message = f"Invalid {what}: Expected {expected} but received {received}"
    return Problem(location, path, kind, type, expected, received, message, key_issue)

"""`Rejection`: the shell refusing a request before its handler runs (401, 400, 413, 415...).

Raised by the auth, parameter and body steps, caught in one place and rendered in the family's envelope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .problems import Problem

__all__ = ["Rejection"]


class Rejection(Exception):
    """`problems` non-empty: a validation failure (the family's validation envelope); else `message`
    becomes `{"error": message}` (with `"message": detail` when there is one)."""

    def __init__(
        self,
        status: int,
        outcome: str,
        message: str,
        problems: Sequence[Problem] = (),
        headers: dict[str, str] | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.detail = detail
        self.status = status
        self.outcome = outcome
        self.message = message
        self.problems = tuple(problems)
        self.headers = headers
        #: The inputs the problems were found in, by location (Valibot's `input` in `/api` issues).
        self.roots: Mapping[str, Any] = {}

    @classmethod
    def invalid(cls, problems: Sequence[Problem]) -> Rejection:
        return cls(400, "invalid", "Validation failed", problems)

    @classmethod
    def bad_request(cls, message: str) -> Rejection:
        return cls(
            400,
            "invalid",
            message,
            [Problem("body", (), "schema", "request", "a valid request", "", message)],
        )

    @classmethod
    def too_large(cls, limit: int) -> Rejection:
        return cls(413, "too_large", f"Request body too large (the limit is {limit} bytes)")

    @classmethod
    def too_large_json(cls, message: str) -> Rejection:
        return cls(413, "too_large", message)

    @classmethod
    def unsupported_media_type(cls, received: str, accepted: str) -> Rejection:
        got = received or "no Content-Type"
        return cls(415, "unsupported_media_type", f"Unsupported Content-Type {got}: expected {accepted}")

    @classmethod
    def unauthenticated(cls, message: str, hint: str | None = None) -> Rejection:
        return cls(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"}, detail=hint)

"""Bearer-key authentication from the operation's effective `security`, and key redaction.

Only HTTP bearer schemes are understood (the app refuses to start on others). A secret key
(`sk_live_...`, `sk_test_...`) passes; a missing or malformed `Authorization` is 401 `Authentication
required`; a publishable key (`pk_...`) is 401 `Secret key required`. Keys are never logged in full:
use `redact()` wherever one is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AUTHENTICATION_REQUIRED",
    "SECRET_KEY_REQUIRED",
    "BearerAuth",
    "Requirement",
    "redact",
    "requirement_of",
]

AUTHENTICATION_REQUIRED = "Authentication required"
SECRET_KEY_REQUIRED = "Secret key required"

_SECRET = re.compile(rb"sk_(?:live|test)_[A-Za-z0-9_]{1,200}")


class AuthFailure(Exception):
    """The request's credentials do not pass; `message` is the 401's `error`, `hint` what is accepted."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Requirement:
    """How an operation is protected: `required` (some bearer scheme must pass) or optional (`{}` listed)."""

    required: bool


def requirement_of(document: dict[str, Any], definition: dict[str, Any], where: str) -> Requirement | None:
    """The effective requirement of an operation (its own `security`, else the document's); None when open."""
    security = definition.get("security", document.get("security")) or []
    if not security:
        return None
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    optional = False
    for alternative in security:
        if not alternative:
            optional = True
            continue
        for name in alternative:
            scheme = schemes.get(name)
            if scheme is None:
                raise ValueError(f"{where}: security scheme {name!r} is not defined")
            if scheme.get("type") != "http" or str(scheme.get("scheme", "")).lower() != "bearer":
                raise ValueError(
                    f"{where}: only HTTP bearer security is supported, not {name!r} ({scheme.get('type')})"
                )
    return Requirement(required=not optional)


class BearerAuth:
    """Checks an `Authorization` header value; `secret` is the pattern a secret key must match in full,
    `hint` (optional) what a 401 tells the caller is accepted (the guide's `message`)."""

    __slots__ = ("_publishable", "_secret", "hint")

    def __init__(
        self,
        secret: re.Pattern[bytes] = _SECRET,
        publishable_prefix: bytes = b"pk_",
        hint: str | None = None,
    ) -> None:
        self._secret = secret
        self._publishable = publishable_prefix
        self.hint = hint

    def authenticate(self, authorization: bytes | None) -> str:
        """The secret key, or `AuthFailure`."""
        if not authorization:
            raise AuthFailure(AUTHENTICATION_REQUIRED, self.hint)
        scheme, _, token = authorization.strip().partition(b" ")
        token = token.strip()
        if scheme.lower() != b"bearer" or not token:
            raise AuthFailure(AUTHENTICATION_REQUIRED, self.hint)
        if self._secret.fullmatch(token):
            return token.decode("ascii")
        if token.startswith(self._publishable):
            raise AuthFailure(SECRET_KEY_REQUIRED, self.hint)
        raise AuthFailure(AUTHENTICATION_REQUIRED, self.hint)


def redact(key: str | None) -> str | None:
    """`sk_test_…a1b2`: the kind and the last four characters, enough to tell keys apart in a journal."""
    if key is None:
        return None
    kind = key[:8] if key.startswith(("sk_live_", "sk_test_")) else key[:3]
    return f"{kind}…{key[-4:]}" if len(key) > len(kind) + 8 else f"{kind}…"

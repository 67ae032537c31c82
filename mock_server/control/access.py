"""Who may call the control plane. The control token reaches everything; a tenant's secret key reaches that
tenant's share; nothing is needed only on a loopback bind without a token. Each operation's level comes
from its `security` in the mock's document, so the spec and the mock cannot disagree.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from mock_server.web.calls import Around, Call, Exchange, Next, Reply
from mock_server.web.cors import CorsPolicy
from mock_server.web.envelopes import Envelope
from mock_server.web.error_table import ErrorRule

__all__ = [
    "CONTROL_COOKIE",
    "CONTROL_PREFIX",
    "TOKEN_PATTERN",
    "Access",
    "ControlPolicy",
    "Forbidden",
    "Level",
    "access_of",
    "control_access",
    "forbidden_rule",
    "is_loopback",
    "levels_of",
    "new_token",
    "own_key",
]

CONTROL_PREFIX = "/_mock"
CONTROL_COOKIE = "fanfare_control"
TOKEN_PATTERN = re.compile(r"fmc_[A-Za-z0-9_-]{16,200}")
_SECRET_KEY = re.compile(r"sk_(?:live|test)_[A-Za-z0-9_]{1,200}")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fanfare-mock control plane"'}


def new_token() -> str:
    return "fmc_" + secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1 (a name or an address; brackets and a port allowed)."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Level(Enum):
    OPEN = "open"  # security: [] - health, reading the clock, the documents, the login, the upload target
    TENANT = "tenant"  # lists tenantKey: the token, or a tenant's key for its own share
    OWNER = "owner"  # lists only controlToken: concerns every tenant


def levels_of(document: Mapping[str, Any]) -> dict[str, Level]:
    """operationId -> level, from each operation's (or the document's) `security`."""
    levels: dict[str, Level] = {}
    for item in (document.get("paths") or {}).values():
        for definition in item.values():
            if not isinstance(definition, dict) or "operationId" not in definition:
                continue
            names = {
                name
                for option in definition.get("security", document.get("security")) or []
                for name in option
            }
            level = (
                Level.TENANT
                if "tenantKey" in names
                else Level.OWNER
                if "controlToken" in names
                else Level.OPEN
            )
            levels[definition["operationId"]] = level
    return levels


@dataclass(frozen=True, slots=True)
class Access:
    """Who is calling: the owner (`tenant` None) or one tenant, by its secret key."""

    tenant: str | None = None

    @property
    def owner(self) -> bool:
        return self.tenant is None


class Forbidden(Exception):
    """A tenant's key asked for more than its own share (a 403)."""

    def __init__(
        self, message: str = "A tenant's key reaches only that tenant's share of the control plane"
    ) -> None:
        super().__init__(message)
        self.message = message


def _render_forbidden(error: BaseException, envelope: Envelope, body: Any) -> dict[str, Any]:
    return envelope.error(str(error))


forbidden_rule = ErrorRule(403, _render_forbidden)


def access_of(call: Call) -> Access:
    """The caller the guard let through (the owner when no guard ran: an in-process app)."""
    notes = call.exchange.notes if call.exchange is not None else None
    found = notes.get("access") if notes else None
    return found if isinstance(found, Access) else Access()


def own_key(access: Access, named: str | None) -> str | None:
    """The tenant an action concerns: the one named, which a tenant's key may only name as itself."""
    if access.tenant is None:
        return named
    if named is not None and named != access.tenant:
        raise Forbidden()
    return access.tenant


class ControlPolicy:
    """The control plane's door: its token (None: open, for a loopback bind), the pinned keys, the
    origins a browser may call it from besides its own, and (for a served mock) its public URL: without
    a token, a request must then name a loopback host or that URL's."""

    def __init__(
        self,
        token: str | None = None,
        keys: Sequence[str] | None = None,
        cors_origins: str | Sequence[str] = (),
        public_url: str | None = None,
    ) -> None:
        self.token = token
        self.keys = None if keys is None else frozenset(keys)
        self.cors = CorsPolicy(cors_origins)
        self.public_host = None if public_url is None else public_url.partition("://")[2].partition("/")[0]

    def browser_refusal(self, exchange: Exchange) -> str | None:
        """Why a browser's request is refused: another origin, or (without a token) a non-loopback Host,
        which is what a DNS-rebound page sends."""
        headers = exchange._raw_headers
        host = headers.get(b"host", b"").decode("latin-1")
        origin = headers.get(b"origin")
        if origin is not None and not (self.cors.enabled and self.cors.allowed(origin)):
            shown = origin.decode("latin-1")
            netloc = shown.partition("://")[2].lower()
            if not netloc or netloc != host.lower():
                return f"Cross-origin requests cannot drive the control plane (Origin {shown})"
        checked = self.token is None and self.public_host is not None and host
        if checked and not is_loopback(host) and host.lower() != str(self.public_host).lower():
            return f"Without a control token the control plane answers loopback names only, not Host {host}"
        return None

    def identify(self, exchange: Exchange) -> Access | None:
        """The caller, or None when no credential passes."""
        if self.token is None:
            return Access()
        headers = exchange._raw_headers
        scheme, _, credential = headers.get(b"authorization", b"").decode("latin-1").strip().partition(" ")
        credential = credential.strip() if scheme.lower() == "bearer" else ""
        if not credential:
            credential = _cookie(headers.get(b"cookie", b"").decode("latin-1"), CONTROL_COOKIE)
        if credential and hmac.compare_digest(credential.encode(), self.token.encode()):
            return Access()
        if _SECRET_KEY.fullmatch(credential) and (self.keys is None or credential in self.keys):
            return Access(credential)
        return None


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip()
    return ""


def control_access(policy: ControlPolicy, levels: Mapping[str, Level]) -> Around:
    """The `Around` that guards `/_mock` (after the journal's recorder, so refusals are journaled)."""

    async def guard(exchange: Exchange, call_next: Next) -> Reply:
        operation = exchange.operation
        if operation is None or levels.get(operation.operation_id, Level.OPEN) is Level.OPEN:
            return await call_next(exchange)
        try:
            return await _guarded(exchange, call_next, operation.operation_id)
        finally:
            # A key that opened the control plane is a credential, not traffic: the journal's tenant
            # filter keeps showing a tenant's Admin API calls only.
            exchange.secret_key = None

    async def _guarded(exchange: Exchange, call_next: Next, operation_id: str) -> Reply:
        refusal = policy.browser_refusal(exchange)
        if refusal is not None:
            exchange.outcome = "forbidden"
            return Reply(403, {"error": refusal})
        access = policy.identify(exchange)
        if access is None:
            exchange.outcome = "unauthenticated"
            message = "Control token required (Authorization: Bearer fmc_...)"
            if levels[operation_id] is Level.TENANT:
                message += ", or a tenant's secret key for its own share"
            return Reply(401, {"error": message}, headers=_CHALLENGE)
        if not access.owner and levels[operation_id] is Level.OWNER:
            exchange.outcome = "forbidden"
            return Reply(403, {"error": "This action concerns every tenant: it needs the control token"})
        if exchange.notes is None:
            exchange.notes = {}
        exchange.notes["access"] = access
        return await call_next(exchange)

    return guard

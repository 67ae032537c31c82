"""Upload URLs as capabilities, the way a pre-signed S3 URL is one: each import's `uploadUrl` carries a
random signature, bound to that import and its tenant, valid for an hour of the virtual clock. The
signature is the only credential the upload target takes; nothing in it derives from the import's id."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from mock_server.control.access import Forbidden

__all__ = ["GRANT_LIFETIME", "UploadGrants"]

#: How long an upload URL stays valid, on the virtual clock (a frozen clock never expires one).
GRANT_LIFETIME = timedelta(hours=1)
#: Grants kept at most; the oldest go first (an import whose URL is gone can be started again).
_KEPT = 100_000


@dataclass(frozen=True, slots=True)
class _Grant:
    signature: str
    tenant_hash: str
    expires: datetime


class UploadGrants:
    """import id -> its upload URL's grant; shared by the server's loop and a test's thread: a lock."""

    def __init__(self) -> None:
        self._grants: OrderedDict[str, _Grant] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, import_id: str, tenant_hash: str, now: datetime) -> str:
        """A new signature for the import (it replaces an earlier one)."""
        signature = secrets.token_urlsafe(32)
        with self._lock:
            self._grants.pop(import_id, None)
            self._grants[import_id] = _Grant(signature, tenant_hash, now + GRANT_LIFETIME)
            while len(self._grants) > _KEPT:
                self._grants.popitem(last=False)
        return signature

    def check(self, import_id: str, signature: str, now: datetime) -> str:
        """The tenant the import belongs to, or `Forbidden` (a wrong signature and an unknown import look
        alike, so nothing can be learnt by guessing)."""
        with self._lock:
            grant = self._grants.get(import_id)
        if grant is None or not hmac.compare_digest(grant.signature.encode(), signature.encode()):
            raise Forbidden("This upload URL is not valid: use the uploadUrl its import answered")
        if now >= grant.expires:
            raise Forbidden("This upload URL has expired: start a new import for a new one")
        return grant.tenant_hash

    def clear(self) -> None:
        with self._lock:
            self._grants.clear()

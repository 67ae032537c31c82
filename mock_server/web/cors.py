"""CORS: which origins may call the mock from a browser, and the headers that say so.

The default policy answers local origins only (`http://localhost:<port>`, `http://127.0.0.1:<port>`,
`http://[::1]:<port>`, http or https); `origins="*"` answers every origin; an explicit list answers
exactly those; an empty list turns CORS off. No credentials are involved (keys travel in
`Authorization`), so `*` is safe to send as is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["ALLOWED_REQUEST_HEADERS", "LOCAL_ORIGINS", "CorsPolicy"]

LOCAL_ORIGINS = "local"
_LOCAL = re.compile(rb"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?")
#: What a browser may send: the key, the JSON body's type, Prism's `Prefer`, our request id.
ALLOWED_REQUEST_HEADERS = b"Authorization, Content-Type, Prefer, X-Request-Id"
_EXPOSED = (b"access-control-expose-headers", b"X-Request-Id")
_VARY = (b"vary", b"Origin")


class CorsPolicy:
    __slots__ = ("_any", "_exact", "_local", "enabled", "max_age")

    def __init__(self, origins: str | Sequence[str] = LOCAL_ORIGINS, max_age: int = 600) -> None:
        self._any = origins == "*"
        self._local = origins == LOCAL_ORIGINS
        self._exact = (
            frozenset()
            if isinstance(origins, str)
            else frozenset(origin.rstrip("/").encode() for origin in origins)
        )
        self.enabled = self._any or self._local or bool(self._exact)
        self.max_age = str(max_age).encode()

    def allowed(self, origin: bytes) -> bool:
        if self._any:
            return True
        if self._local:
            return _LOCAL.fullmatch(origin) is not None
        return origin in self._exact

    def simple_headers(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        """Headers for an actual (non-preflight) response to an allowed origin."""
        if self._any:
            return [(b"access-control-allow-origin", b"*"), _EXPOSED]
        return [(b"access-control-allow-origin", origin), _EXPOSED, _VARY]

    def preflight_headers(self, origin: bytes, allow_methods: bytes) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"access-control-allow-origin", b"*" if self._any else origin),
            (b"access-control-allow-methods", allow_methods),
            (b"access-control-allow-headers", ALLOWED_REQUEST_HEADERS),
            (b"access-control-max-age", self.max_age),
        ]
        if not self._any:
            headers.append(_VARY)
        return headers

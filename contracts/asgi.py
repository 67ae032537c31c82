"""A synchronous httpx transport over an ASGI app, for in-process runs (our own tests, the mock's CI).

httpx's own ASGITransport is async-only and Starlette's TestClient now warns when used with httpx, so
this runs the app on one background event loop (an anyio blocking portal) for the client's lifetime.
"""

from __future__ import annotations

from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

__all__ = ["SyncASGITransport"]


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        # App exceptions become 500s, as a server would answer; a contract suite judges answers.
        self._inner = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._portal_cm = start_blocking_portal()
        self._portal: BlockingPortal = self._portal_cm.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            async_request = httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=content,
                extensions=request.extensions,
            )
            response = await self._inner.handle_async_request(async_request)
            body = await response.aread()
            await response.aclose()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        if self._portal_cm is not None:
            self._portal_cm.__exit__(None, None, None)
            self._portal_cm = None  # type: ignore[assignment]

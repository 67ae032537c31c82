"""In-process HTTP for an ASGI app: a synchronous httpx transport that runs the app on one private event
loop, and the `httpx.Client` over it that the `fanfare_mock` fixture hands out (Starlette's own TestClient
warns about httpx, and test suites keep warnings as errors)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

__all__ = ["InProcessClient", "InProcessTransport"]


class InProcessTransport(httpx.BaseTransport):
    """Sends each request straight into the app (no socket): pass it as `transport=` to any httpx.Client."""

    def __init__(self, app: Any) -> None:
        self._runner = asyncio.Runner()
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def body() -> AsyncIterator[bytes]:  # streamed as sent: a chunked upload stays chunked
            for chunk in request.stream:  # type: ignore[union-attr]
                yield chunk

        async def exchange() -> httpx.Response:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=body())
            answer = await self._asgi.handle_async_request(inner)
            content = await answer.aread()
            await answer.aclose()
            return httpx.Response(answer.status_code, headers=answer.headers, content=content)

        return self._runner.run(exchange())

    def close(self) -> None:
        self._runner.close()


class InProcessClient(httpx.Client):
    __test__ = False  # not a pytest test class, whatever the collector thinks

    def __init__(
        self, app: Any, base_url: str = "http://fanfare.test", headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(transport=InProcessTransport(app), base_url=base_url, headers=dict(headers or {}))

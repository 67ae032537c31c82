"""Sliced domain work run from a handler (the Admin API's or the control plane's): one slice, then every other
request waiting gets its turn."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import TypeVar

from mock_server.domain.kernel import Steps

T = TypeVar("T")


async def sliced(steps: Steps[T]) -> T:
    """Run `steps` to its end, yielding the event loop between slices (no request holds it long)."""
    result: list[T] = []

    def keeping() -> Generator[None, None, None]:
        result.append((yield from steps))

    for _ in keeping():
        await asyncio.sleep(0)
    return result[0]

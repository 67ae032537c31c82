"""Work done in slices: a generator whose every `next()` runs one slice and whose return value is the
result, so the web shell can let other requests in between slices (no request holds the loop long)."""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

__all__ = ("Steps", "finish")

T = TypeVar("T")

Steps = Generator[None, None, T]


def finish(steps: Generator[None, None, T]) -> T:
    """Run sliced work to its end at once (where nothing else is waiting)."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: T = done.value
            return result

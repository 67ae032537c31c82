"""An opt-in watch on the event loop, for benchmarks: how long the loop went without coming back to a
5 ms timer, and which requests were in flight (or began) while it did not.

`fanfare-mock serve` wraps its app in it when `FANFARE_LOOP_HOLDS_MS` is set (a threshold in
milliseconds): every hold at or over it is one stderr line, `loop-hold <monotonic s> <ms> ms cpu <ms> ms
<requests in flight>` (wall time, then the loop thread's CPU in it: on a busy machine the first includes
time the process waited for a core), and the longest is printed when the server stops. `bench/soak.py`
reads those lines to report the longest hold per phase, measured inside the server rather than through a
client sharing its cores.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from typing import Any, TextIO

from mock_server.web.middleware import ASGIApp

ENV = "FANFARE_LOOP_HOLDS_MS"
_TICK = 0.005


class LoopHolds:
    """The ASGI app, watched; the watch starts with the first request (uvicorn's loop by then)."""

    def __init__(self, app: ASGIApp, threshold_s: float, out: TextIO = sys.stderr) -> None:
        self.app, self.threshold_s, self.out = app, threshold_s, out
        self.longest_s = 0.0
        self.longest_during = ""
        self._in_flight: dict[int, str] = {}
        self._began: set[str] = set()  # requests begun since the last tick (some ended within the hold)
        self._ids = itertools.count()
        self._watch: asyncio.Task[None] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._watch is None:
            self._watch = asyncio.get_running_loop().create_task(self._watching())
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        n = next(self._ids)
        self._in_flight[n] = label = f"{scope['method']} {scope['path']}"
        self._began.add(label)
        try:
            await self.app(scope, receive, send)
        finally:
            del self._in_flight[n]

    async def _watching(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before, cpu_before = loop.time(), time.thread_time()
            await asyncio.sleep(_TICK)
            held = loop.time() - before - _TICK
            began, self._began = self._began, set()
            cpu = time.thread_time() - cpu_before  # the loop thread's own CPU in that time
            if held < self.threshold_s and held <= self.longest_s:
                continue
            during = ", ".join(sorted(began.union(self._in_flight.values()))[:8]) or "-"
            if held > self.longest_s:
                self.longest_s, self.longest_during = held, during
            if held >= self.threshold_s:
                print(
                    f"loop-hold {time.monotonic():.3f} {held * 1000:.1f} ms cpu {cpu * 1000:.1f} ms {during}",
                    file=self.out,
                    flush=True,
                )

    def summary(self) -> str:
        during = self.longest_during or "-"
        return f"longest event-loop hold {self.longest_s * 1000:.1f} ms (in flight: {during})"

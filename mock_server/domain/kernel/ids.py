"""Deterministic UUIDv7 ids: time-ordered by the virtual clock, random bits from a seeded generator.

The same seed and the same sequence of requests give the same ids, so a world is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, cast
from uuid import UUID

from mock_server.domain.kernel.clock import Clock


class IdFactory:
    """Makes UUIDv7 ids from a clock and a seeded generator; ids from one factory are strictly increasing."""

    __slots__ = ("_clock", "_last", "_random", "_seed")

    def __init__(self, clock: Clock, seed: int | str) -> None:
        self._clock = clock
        self._seed = seed
        self._random: random.Random | None = None  # seeded on first use: 2.5 KB, and most factories of
        self._last = 0  # a stranger's organization never make an id

    @property
    def _rng(self) -> random.Random:
        if self._random is None:
            self._random = random.Random(self._seed)
        return self._random

    def new(self) -> str:
        return str(UUID(int=self.new_ints(1)[0]))

    def new_ints(self, count: int) -> list[int]:
        """`count` new ids as 128-bit ints, at one reading of the clock (for bulk inserts).

        The same values `count` calls of `new` would give at that instant: the generator is drawn in the
        same order.
        """
        millis = int(self._clock.now().timestamp() * 1000) & ((1 << 48) - 1)
        stamp = (millis << 80) | (0x7 << 76) | (0b10 << 62)
        getrandbits = self._rng.getrandbits
        last = self._last
        out = []
        for _ in range(count):
            value = stamp | (getrandbits(12) << 64) | getrandbits(62)
            if value <= last:  # same millisecond (a frozen clock): keep ids ordered
                value = last + 1
                value = (value & ~(0xF << 76)) | (0x7 << 76)
                value = (value & ~(0b11 << 62)) | (0b10 << 62)
            out.append(value)
            last = value
        self._last = last
        return out

    def state(self) -> tuple[object, int]:
        return self._rng.getstate(), self._last

    def restore(self, state: tuple[object, int]) -> None:
        rng_state, last = state
        self._rng.setstate(rng_state)  # type: ignore[arg-type]
        self._last = last

    def export(self) -> dict[str, Any]:
        """The generator's state as JSON (for snapshots); `restore_export` puts it back."""
        version, internal, gauss = cast(tuple[int, tuple[int, ...], float | None], self._rng.getstate())
        return {"rng": [version, list(internal), gauss], "last": str(self._last)}

    def restore_export(self, data: Mapping[str, Any]) -> None:
        version, internal, gauss = data["rng"]
        self.restore(((version, tuple(internal), gauss), int(data["last"])))

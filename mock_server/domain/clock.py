"""The virtual clock: the one source of "now" for a world, frozen or running, settable and advanceable.

Nothing in the domain reads the wall clock except through a Clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: The instant a fresh world starts at, unless told otherwise: fixed, so the same seed gives the same world.
DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)


class Clock:
    """A virtual clock.

    Frozen (the default) it only moves when told to; running, it moves with the real monotonic clock
    from the instant it was last set. Either way `set` and `advance` work.
    """

    __slots__ = ("_anchor", "_anchor_mono", "_monotonic", "running")

    def __init__(
        self,
        start: datetime = DEFAULT_START,
        *,
        running: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self.running = running
        self._anchor = _utc(start)
        self._anchor_mono = monotonic()

    def now(self) -> datetime:
        if not self.running:
            return self._anchor
        return self._anchor + timedelta(seconds=self._monotonic() - self._anchor_mono)

    def set(self, instant: datetime) -> datetime:
        self._anchor = _utc(instant)
        self._anchor_mono = self._monotonic()
        return self.now()

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        return self.set(self.now() + timedelta(seconds=seconds))

    def freeze(self) -> None:
        self.set(self.now())
        self.running = False

    def run(self) -> None:
        self.set(self.now())
        self.running = True


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    return instant.astimezone(UTC)


def isoformat(instant: datetime) -> str:
    """ISO-8601 in UTC with a `Z`, milliseconds kept only when present (the docs' format)."""
    # datetime.isoformat is C and zero-pads years before 1000 (strftime's %Y does not everywhere); it is
    # on the hot path of every members page (three timestamps per consumer).
    naive = instant.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(timespec="milliseconds" if naive.microsecond else "seconds") + "Z"

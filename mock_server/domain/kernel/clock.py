"""The virtual clock: the one source of "now" for a world, frozen or running, settable and advanceable.

Nothing in the domain reads the wall clock except through a Clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from mock_server.domain.kernel.errors import Invalid, Issue

#: The instant a fresh world starts at, unless told otherwise: fixed, so the same seed gives the same world.
DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
#: The supported range. Ids carry Unix milliseconds (none before 1970), and a running clock set at the end
#: must still have centuries to run before datetime's year 9999 overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
RANGE_TEXT = "1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z"


def in_range(instant: datetime, field: str = "now") -> datetime:
    """The instant in UTC, or `Invalid` naming `field` when it is outside the supported range."""
    try:
        utc = _utc(instant)
    except OverflowError:  # an offset that pushes year 1 or 9999 past datetime's range
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise Invalid(f"The virtual clock supports {RANGE_TEXT}", (Issue(field, f"outside {RANGE_TEXT}"),))
    return utc


class Clock:
    """A virtual clock.

    Frozen (the default) it only moves when told to; running, it moves with the real monotonic clock
    from the instant it was last set. Either way `set` and `advance` work.
    """

    __slots__ = ("_anchor", "_anchor_mono", "_held", "_monotonic", "running")

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
        self._held: datetime | None = None

    def now(self) -> datetime:
        if self._held is not None:
            return self._held
        if not self.running:
            return self._anchor
        return self._anchor + timedelta(seconds=self._monotonic() - self._anchor_mono)

    def set(self, instant: datetime) -> datetime:
        self._held = None
        self._anchor = in_range(instant)
        self._anchor_mono = self._monotonic()
        return self.now()

    def hold(self, instant: datetime) -> None:
        """Read `instant` as now until `release` (or a `set`): a running clock applying a command that was
        decided at `instant` gives every time and id in it from that instant alone, however long the
        applying takes, so replaying the command later gives the same world."""
        self._held = _utc(instant)

    def release(self) -> None:
        """Stop holding; a running clock never goes back (it moves up to the held instant if behind)."""
        held, self._held = self._held, None
        if held is not None and self.running and held > self.now():
            self.set(held)

    def advance(self, seconds: float) -> datetime:
        return self.set(self.advanced(seconds))

    def advanced(self, seconds: float) -> datetime:
        """Now plus `seconds`, checked against the range (nothing moves)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if seconds > (LATEST - EARLIEST).total_seconds():
            raise Invalid(f"The virtual clock supports {RANGE_TEXT}", (Issue("advanceSeconds", "too far"),))
        return in_range(self.now() + timedelta(seconds=seconds), "advanceSeconds")

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

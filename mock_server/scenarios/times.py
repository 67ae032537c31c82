"""Times in a scenario: ISO-8601 instants, or offsets from the clock (`+2h`, `-1d`, `+1d6h30m`, `+90s`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^([+-])(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def is_relative(text: str) -> bool:
    return bool(_RELATIVE.match(text)) and len(text) > 1


def resolve(text: str, now: datetime) -> datetime:
    """The instant `text` names, relative ones counted from `now`. Raises ValueError on anything else."""
    match = _RELATIVE.match(text)
    if match and len(text) > 1:
        sign, days, hours, minutes, seconds = match.groups()
        delta = timedelta(
            days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=int(seconds or 0)
        )
        return now + delta if sign == "+" else now - delta
    instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset (add Z)")
    return instant.astimezone(UTC)

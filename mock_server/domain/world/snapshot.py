"""A world snapshot checked before anything is built from it: the outer format, the generation parameters
within the seed endpoint's caps, the clock within its range, pinned keys as SHA-256 hex, and every
position a snapshot names within the consumer table it describes.

A refusal is `Invalid` naming the field by its dotted path from the control plane's body
(`world.organizations.0.audiences.2.members.positions`). What the deeper restore finds wrong (a value a
column cannot hold) is reported through `located`, with the same kind of path.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np

from mock_server.domain.kernel import Invalid, Issue, in_range

#: The snapshot format `World.export` writes and `World.from_snapshot` reads. @2: one generated base per
#: seed shared by every organization (@1 generated each organization's own consumers, so its changes
#: would land on other consumers).
FORMAT = "fanfare-mock/world@2"
#: Formats earlier versions wrote, which this one refuses with a way forward.
RETIRED = {
    "fanfare-mock/world@1": "a snapshot of an earlier fanfare-mock (before organizations shared the "
    "seed's generated consumers): its changes would not land on the same consumers; restore it with "
    "the version that wrote it, or rebuild the world with this one (a scenario, or the same requests) "
    "and export it again",
}
#: Consumers per organization, at most: the cap `POST /_mock/seed` declares (`consumers` maximum in the
#: control plane's document; `tests/domain/test_world_snapshot_checks.py` holds them equal).
MAX_CONSUMERS = 2_000_000
MAX_SEED = 2**32 - 1
_KEY_HASH = re.compile(r"[0-9a-f]{64}")
#: What a restore's own code raises on a value of the wrong shape (caught and located, never a 500).
MALFORMED = (KeyError, TypeError, ValueError, IndexError, OverflowError, AttributeError)


def refuse(field: str, message: str) -> Invalid:
    return Invalid(f"Not a snapshot this mock can restore: {field}: {message}", (Issue(field, message),))


@contextmanager
def located(field: str) -> Iterator[None]:
    """Errors raised inside, as `Invalid` under `field` (an `Invalid` with a relative path is prefixed)."""
    try:
        yield
    except Invalid as invalid:
        issues = tuple(Issue(f"{field}.{i.field}" if i.field else field, i.message) for i in invalid.issues)
        first = issues[0]
        raise Invalid(
            f"Not a snapshot this mock can restore: {first.field}: {first.message}", issues
        ) from None
    except MALFORMED as problem:
        text = (
            f"missing {problem}" if isinstance(problem, KeyError) else str(problem) or type(problem).__name__
        )
        raise refuse(field, text) from None


def _integer(data: Mapping[str, Any], name: str, where: str, top: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise refuse(f"{where}.{name}", f"an integer from 0 to {top:,} (got {_shown(value)})")
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _instant(data: Mapping[str, Any], name: str, where: str) -> None:
    part = data.get(name)
    field = f"{where}.{name}"
    if not isinstance(part, Mapping) or not isinstance(part.get("running"), bool):
        raise refuse(field, "an object {now, running} with running true or false")
    now = part.get("now")
    try:
        instant = datetime.fromisoformat(now) if isinstance(now, str) else None
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise refuse(f"{field}.now", f"an ISO 8601 instant with a UTC offset (got {_shown(now)})")
    with located(field):
        in_range(instant)


def check_snapshot(data: Any, where: str = "world") -> None:
    """Refuse (`Invalid`) a snapshot `World.from_snapshot` could not restore exactly and safely."""
    if not isinstance(data, Mapping):
        raise refuse(where, "an object")
    if data.get("format") in RETIRED:
        raise refuse(f"{where}.format", RETIRED[data["format"]])
    if data.get("format") != FORMAT:
        raise refuse(f"{where}.format", f"must be {FORMAT!r}")
    _integer(data, "seed", where, MAX_SEED)
    generated = _integer(data, "consumersPerOrganization", where, MAX_CONSUMERS)
    _instant(data, "start", where)
    _instant(data, "clock", where)
    pinned = data.get("pinnedKeyHashes", ())
    if pinned is not None:
        hashes = pinned if isinstance(pinned, list) else ()
        if not isinstance(pinned, list) or not all(
            isinstance(h, str) and _KEY_HASH.fullmatch(h) for h in hashes
        ):
            raise refuse(f"{where}.pinnedKeyHashes", "null or a list of SHA-256 hex digests (64 of 0-9a-f)")
    organizations = data.get("organizations")
    if not isinstance(organizations, list):
        raise refuse(f"{where}.organizations", "a list")
    seen: set[str] = set()
    for n, organization in enumerate(organizations):
        at = f"{where}.organizations.{n}"
        if not isinstance(organization, Mapping):
            raise refuse(at, "an object")
        key = organization.get("keyHash")
        if not isinstance(key, str) or not _KEY_HASH.fullmatch(key):
            raise refuse(f"{at}.keyHash", "a SHA-256 hex digest (64 of 0-9a-f)")
        if key in seen:
            raise refuse(f"{at}.keyHash", "names an organization already listed")
        if pinned is not None and key not in pinned:
            raise refuse(f"{at}.keyHash", "not among pinnedKeyHashes")
        seen.add(key)
        size = _table_size(organization, generated, at)
        audiences = organization.get("audiences")
        if not isinstance(audiences, list):
            raise refuse(f"{at}.audiences", "a list")
        for k, audience in enumerate(audiences):
            _check_members(audience, size, f"{at}.audiences.{k}")


def _table_size(organization: Mapping[str, Any], generated: int, at: str) -> int:
    """The consumer table's size the snapshot describes: the generated ones, then every appended row;
    refuses changed rows out of order or past the end (a row is either generated or the next one)."""
    consumers = organization.get("consumers")
    changed = consumers.get("changed") if isinstance(consumers, Mapping) else None
    field = f"{at}.consumers.changed"
    if not isinstance(changed, list):
        raise refuse(field, "a list of [position, consumer]")
    size, previous = generated, -1
    for k, row in enumerate(changed):
        position = row[0] if isinstance(row, list) and len(row) == 2 and isinstance(row[1], Mapping) else None
        if not isinstance(position, int) or isinstance(position, bool):
            raise refuse(f"{field}.{k}", "a [position, consumer] pair")
        if position <= previous or (position >= generated and position != size):
            raise refuse(
                f"{field}.{k}",
                f"position {position} is out of order or past the table's end (generated consumers: "
                f"{generated:,}, then each appended one in turn)",
            )
        if position == size:
            size += 1
        previous = position
    return size


def _check_members(audience: Any, size: int, at: str) -> None:
    members = audience.get("members") if isinstance(audience, Mapping) else None
    if not isinstance(members, Mapping):
        raise refuse(f"{at}.members", "an object")
    encoded = members.get("positions")
    if encoded is None:
        return
    field = f"{at}.members.positions"
    try:
        raw = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or len(raw) % 8:
        raise refuse(field, "null or base64 of little-endian int64 positions")
    positions = np.frombuffer(raw, dtype="<i8")
    if len(positions) and (int(positions[0]) < 0 or int(positions[-1]) >= size):
        raise refuse(field, f"a position outside the consumer table (0 to {size - 1:,})")
    if len(positions) > 1 and not bool(np.all(positions[1:] > positions[:-1])):
        raise refuse(field, "positions must be ascending and distinct")

"""Rules over a sequence of exchanges the suite did not script: a write then its read, a delete then a 404.

The proxy and replay feed every exchange in order; `Follower` remembers what each successful write
answered and judges the later reads of the same entity. Pure: no I/O, just the parsed bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FOLLOW_CHECKS", "FollowVerdict", "Follower", "disagreements"]

WRITE_THEN_READ = "fanfare_write_then_read"
DELETE_THEN_404 = "fanfare_delete_then_404"
FOLLOW_CHECKS = (WRITE_THEN_READ, DELETE_THEN_404)

# What may change between a write's answer and the next read without anything being wrong: clocks,
# counters that move with background work, the statuses of asynchronous jobs, relations `include` adds.
# Only fields present in both are compared: a read without `include` may leave relations out.
MAY_DIFFER = frozenset(
    {
        "updatedAt",
        "lastSyncedAt",
        "memberCount",
        "size",
        "count",
        "syncStatus",
        "importStatus",
        "imports",
        "syncSource",
        "experiences",
        "rules",
        "status",  # an experience's status follows the (possibly virtual) clock
    }
)


def disagreements(written: Mapping[str, Any], read: Mapping[str, Any]) -> list[str]:
    """The fields a write answered that the next read of the same entity returns differently."""
    return [
        f"{key}: wrote {written[key]!r}, read {read[key]!r}"
        for key in written
        if key in read and key not in MAY_DIFFER and written[key] != read[key]
    ]


@dataclass(frozen=True)
class FollowVerdict:
    check: str
    title: str
    message: str
    earlier: int  # the index of the exchange that set up the expectation


@dataclass
class _Written:
    body: Mapping[str, Any]
    index: int
    label: str


@dataclass
class Follower:
    """Feed `observe()` every exchange in order; it returns what broke a multi-request rule."""

    written: dict[tuple[str, str], _Written] = field(default_factory=dict)  # (family, id) -> answer
    deleted: dict[str, tuple[int, str]] = field(default_factory=dict)  # id -> (index, label)

    def observe(
        self,
        *,
        index: int,
        family: str,
        method: str,
        label: str,
        path: str,
        path_parameters: Mapping[str, str],
        query: Mapping[str, str],
        status: int,
        body: Any,
    ) -> list[FollowVerdict]:
        ids = {str(value) for value in path_parameters.values()}
        last = path.rstrip("/").rsplit("/", 1)[-1]
        verdicts: list[FollowVerdict] = []
        if method == "GET":
            entity = last in ids
            gone = self.deleted.get(last) if entity else None
            if gone is not None and 200 <= status < 300:
                verdicts.append(
                    FollowVerdict(
                        DELETE_THEN_404,
                        "A deleted entity is still served",
                        f"{label} answered {status} for {last}, deleted by exchange #{gone[0]} ({gone[1]})",
                        gone[0],
                    )
                )
            if entity and status == 200 and isinstance(body, Mapping) and not query:
                verdicts += self._compare(family, last, label, body)
            return verdicts
        if not 200 <= status < 300:
            return verdicts
        # Any successful write under an entity's path changes it: its last answer is no longer the truth.
        for key in [k for k in self.written if k[1] in ids]:
            del self.written[key]
        if method == "DELETE" and last in ids:
            self.deleted[last] = (index, label)
        elif method in ("POST", "PUT", "PATCH") and isinstance(body, Mapping):
            entity_id = body.get("id")
            created_here = (method == "POST" and last not in ids) or last == "duplicate"
            if isinstance(entity_id, str) and (created_here or entity_id == last):
                self.written[(family, entity_id)] = _Written(body, index, label)
        return verdicts

    def _compare(
        self, family: str, entity_id: str, label: str, read: Mapping[str, Any]
    ) -> list[FollowVerdict]:
        written = self.written.get((family, entity_id))
        if written is None:
            return []
        differences = disagreements(written.body, read)
        if not differences:
            return []
        return [
            FollowVerdict(
                WRITE_THEN_READ,
                "The next read disagrees with what the write answered",
                f"{label} of {entity_id} after exchange #{written.index} ({written.label}): "
                + "; ".join(differences[:5]),
                written.index,
            )
        ]

"""What this run created on the target, so it can clean up exactly that and nothing else.

Every successful write's response is read for the ids it hands out; the same set also tells the
safety guard which ids a write may name in its path.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from contracts.families import Family, family_of_path

__all__ = ["Created", "Ledger"]


@dataclass(slots=True)
class Created:
    """One entity this run created. Only audiences, groups, experiences and sync sources need cleaning."""

    kind: str  # audience | group | experience | sync_source | rule | import | other
    id: str
    family: str  # the family it was created through
    name: str | None = None
    via: str = ""  # "POST /api/v1/audiences"
    owner: int = 0  # which key created it: 0 = --token, 1 = --second-token
    deleted: bool = False
    cleanup_error: str | None = None


# (method, path below the family prefix) -> how to read the created ids out of the response body.
_AUDIENCE = re.compile(r"^/audiences$")
_TIERS = re.compile(r"^/audiences/loyalty-tiers(/[^/]+)?$")
_LIST_IMPORT = re.compile(r"^/audiences/import/[^/]+$")
_EXPERIENCE = re.compile(r"^/experiences(/[^/]+/duplicate)?$")
_RULES = re.compile(r"^/audiences/[^/]+/rules(/[^/]+)?$")
_IMPORT = re.compile(r"^/audiences/[^/]+/import$")
_CLEANED_KINDS = ("experience", "group", "audience")


class Ledger:
    """Thread-safe: schemathesis may call its hooks from worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], Created] = {}

    def add(
        self, kind: str, id_: str, family: str, *, name: str | None = None, via: str = "", owner: int = 0
    ) -> Created:
        with self._lock:
            key = (kind, id_)
            if key not in self._items:
                self._items[key] = Created(kind=kind, id=id_, family=family, name=name, via=via, owner=owner)
            return self._items[key]

    def owns(self, id_: str) -> bool:
        """Whether some entity with this id was created by this run."""
        with self._lock:
            return any(key[1] == id_ for key in self._items)

    def mark_deleted(self, kind: str, id_: str) -> None:
        with self._lock:
            item = self._items.get((kind, id_))
            if item is not None:
                item.deleted = True

    def items(self, *kinds: str) -> list[Created]:
        with self._lock:
            return [item for item in self._items.values() if not kinds or item.kind in kinds]

    def to_clean(self) -> list[Created]:
        """Entities still to delete, experiences first, then groups, then single audiences, newest first."""
        pending = [item for item in self.items(*_CLEANED_KINDS) if not item.deleted]
        order = {kind: index for index, kind in enumerate(_CLEANED_KINDS)}
        return sorted(reversed(pending), key=lambda item: order[item.kind])

    def __iter__(self) -> Iterator[Created]:
        return iter(self.items())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def record_response(self, method: str, path: str, status: int, body: Any, *, owner: int = 0) -> None:
        """Learn the ids a successful write handed out (any other response teaches nothing)."""
        if method.upper() not in {"POST", "PUT", "PATCH"} or not 200 <= status < 300:
            return
        family = family_of_path(path)
        if family is None:
            return
        tail = path[len(family.prefix) :]
        via = f"{method.upper()} {path}"
        if method.upper() == "POST" and _AUDIENCE.match(tail) and isinstance(body, dict):
            self._add_entity("audience", body, family, via, owner)
        elif _TIERS.match(tail) and isinstance(body, dict):
            group = body.get("tierGroup")
            if isinstance(group, str):
                self.add("group", group, family.name, name=_str(body, "groupName"), via=via, owner=owner)
            for audience in body.get("audiences") or []:
                if isinstance(audience, dict):
                    self._add_entity("audience", audience, family, via, owner)
        elif _LIST_IMPORT.match(tail) and isinstance(body, dict):
            # Only what was imported: `skipped[].existingAudienceId` names someone else's audience.
            for item in body.get("imported") or []:
                if isinstance(item, dict) and isinstance(item.get("syncSourceId"), str):
                    self.add(
                        "sync_source",
                        item["syncSourceId"],
                        family.name,
                        name=_str(item, "listId"),
                        via=via,
                        owner=owner,
                    )
        elif method.upper() == "POST" and _EXPERIENCE.match(tail) and isinstance(body, dict):
            self._add_entity("experience", body, family, via, owner)
        elif _RULES.match(tail):
            for rule in body if isinstance(body, list) else [body]:
                if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                    self.add("rule", rule["id"], family.name, via=via, owner=owner)
        elif _IMPORT.match(tail) and isinstance(body, dict) and isinstance(body.get("id"), str):
            self.add("import", body["id"], family.name, via=via, owner=owner)

    def _add_entity(self, kind: str, body: dict[str, Any], family: Family, via: str, owner: int) -> None:
        if isinstance(body.get("id"), str):
            self.add(kind, body["id"], family.name, name=_str(body, "name"), via=via, owner=owner)
        # Rules created with the entity may be named in later rule writes.
        for rule in body.get("rules") or []:
            if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                self.add("rule", rule["id"], family.name, via=via, owner=owner)


def _str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None

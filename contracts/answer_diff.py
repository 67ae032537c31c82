"""Where a replayed answer differs from the recorded one, beyond what may differ between two servers.

May differ: ids (each recorded id must map to one target id, consistently), instants (any two valid
ISO-8601 values are equal), cursors and request ids (opaque), and generated people data (the members
of a page are compared by their fields and types, not their values). Everything else must be equal:
status, media type, every other field, list lengths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.rules import parse_time
from contracts.traffic import Traffic

__all__ = ["answer_differences", "learn_ids"]

_OPAQUE = frozenset({"startCursor", "endCursor", "cursor", "requestId", "createdBy"})


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith(("Id", "Ids"))


def learn_ids(recorded: Any, replayed: Any, ids: dict[str, str]) -> None:
    """Map every id of the recorded answer to the id in the same place of the replayed one."""
    if isinstance(recorded, Mapping) and isinstance(replayed, Mapping):
        for key, value in recorded.items():
            if key not in replayed:
                continue
            other = replayed[key]
            if _is_id_key(key) and isinstance(value, str) and isinstance(other, str):
                ids.setdefault(value, other)
            elif _is_id_key(key) and isinstance(value, list) and isinstance(other, list):
                for a, b in zip(value, other, strict=False):
                    if isinstance(a, str) and isinstance(b, str):
                        ids.setdefault(a, b)
            else:
                learn_ids(value, other, ids)
    elif isinstance(recorded, list) and isinstance(replayed, list):
        for a, b in zip(recorded, replayed, strict=False):
            learn_ids(a, b, ids)


def _media_type(traffic: Traffic) -> str:
    return (traffic.response_header("content-type") or "").split(";")[0].strip().lower()


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _compare(recorded: Any, replayed: Any, where: str, ids: Mapping[str, str], shape_only: bool) -> list[str]:
    key = where.rsplit(".", 1)[-1].split("[", 1)[0]
    if key in _OPAQUE:
        return []
    if isinstance(recorded, Mapping) and isinstance(replayed, Mapping):
        found: list[str] = []
        for name in recorded:
            if name not in replayed:
                found.append(f"{where}.{name}: recorded, missing now")
        for name in replayed:
            if name not in recorded:
                found.append(f"{where}.{name}: new, not recorded")
        for name in recorded:
            if name in replayed:
                found += _compare(recorded[name], replayed[name], f"{where}.{name}", ids, shape_only)
        return found
    if isinstance(recorded, list) and isinstance(replayed, list):
        if len(recorded) != len(replayed):
            return [f"{where}: {len(recorded)} items recorded, {len(replayed)} now"]
        found = []
        for number, (a, b) in enumerate(zip(recorded, replayed, strict=True)):
            found += _compare(a, b, f"{where}[{number}]", ids, shape_only)
        return found
    if isinstance(recorded, str) and isinstance(replayed, str):
        if _is_id_key(key) or key.endswith("Ids"):
            if ids.get(recorded, recorded) == replayed:
                return []
            return [f"{where}: id {recorded!r} recorded as {ids.get(recorded)!r} earlier, now {replayed!r}"]
        if parse_time(recorded) is not None and parse_time(replayed) is not None:
            return []
    if shape_only:
        return (
            []
            if _kind(recorded) == _kind(replayed)
            else [f"{where}: a {_kind(recorded)} recorded, now a {_kind(replayed)}"]
        )
    if recorded != replayed:
        return [f"{where}: {recorded!r} recorded, {replayed!r} now"]
    return []


def answer_differences(recorded: Traffic, replayed: Traffic, ids: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    if recorded.status != replayed.status:
        found.append(f"status: {recorded.status} recorded, {replayed.status} now")
    if _media_type(recorded) != _media_type(replayed):
        found.append(f"content-type: {_media_type(recorded)!r} recorded, {_media_type(replayed)!r} now")
    a, b = recorded.response_json(), replayed.response_json()
    if a is None or b is None:
        if recorded.response_body != replayed.response_body and (a is None) != (b is None):
            found.append("body: JSON on one side only")
        return found
    generated = recorded.path.rstrip("/").endswith("/members")
    if generated and isinstance(a, Mapping) and isinstance(b, Mapping):
        # People are generated: a page must hold as many members, with the same fields and types.
        found += _compare(
            {k: v for k, v in a.items() if k != "data"},
            {k: v for k, v in b.items() if k != "data"},
            "body",
            ids,
            False,
        )
        found += _compare(a.get("data"), b.get("data"), "body.data", ids, True)
        return found
    found += _compare(a, b, "body", ids, False)
    return found

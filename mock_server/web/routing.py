"""Routing from the documents' path templates: a segment trie where, at each position, a literal
segment is tried before a `{param}` one (with backtracking), so `/api/audiences/groups/{groupId}` wins
over `/api/audiences/{audienceId}/members` for `/api/audiences/groups/x`, while
`/api/audiences/import/import` still reaches `/api/audiences/{audienceId}/import`.

Matching works on the raw (still percent-encoded) path split on `/`, so `%2F` inside an id stays in its
segment; each segment is then percent-decoded (UTF-8). A parameter matches any non-empty segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Generic, TypeVar
from urllib.parse import unquote

__all__ = ["PathEntry", "Router", "split_path"]

T = TypeVar("T")


@dataclass(slots=True)
class PathEntry(Generic[T]):
    """One path template and what hangs on it (the compiled operations by method)."""

    template: str
    param_names: tuple[str, ...]
    methods: dict[str, T] = field(default_factory=dict)
    allow: str = ""


@dataclass(slots=True)
class _Node(Generic[T]):
    literal: dict[str, _Node[T]] = field(default_factory=dict)
    param: _Node[T] | None = None
    entry: PathEntry[T] | None = None


def split_path(raw_path: bytes) -> list[str] | None:
    """Decoded segments of a raw path (`/a/b%20c` -> `["a", "b c"]`); None unless it starts with `/`."""
    if not raw_path.startswith(b"/"):
        return None
    text = raw_path.decode("utf-8", "replace")
    parts = text[1:].split("/")
    if "%" in text:
        return [unquote(part, errors="replace") for part in parts]
    return parts


class Router(Generic[T]):
    __slots__ = ("_recent", "_root", "_static", "entries")

    #: Matches of recently seen raw paths are kept (a client reads the same ids again and again); the
    #: memo is dropped whole when it grows past this many entries.
    RECENT = 4096

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()
        self._static: dict[str, PathEntry[T]] = {}
        self._recent: dict[bytes, tuple[PathEntry[T], dict[str, str]]] = {}
        self.entries: dict[str, PathEntry[T]] = {}

    def add(self, template: str) -> PathEntry[T]:
        """The entry for `template`, created on first use (several documents may share a path)."""
        existing = self.entries.get(template)
        if existing is not None:
            return existing
        segments = template[1:].split("/") if template.startswith("/") else None
        if segments is None:
            raise ValueError(f"path {template!r} does not start with '/'")
        names: list[str] = []
        node = self._root
        shape: list[str] = []
        for segment in segments:
            if segment.startswith("{") and segment.endswith("}") and len(segment) > 2:
                names.append(segment[1:-1])
                shape.append("{}")
                if node.param is None:
                    node.param = _Node()
                node = node.param
            else:
                if "{" in segment or "}" in segment:
                    raise ValueError(f"path {template!r}: a parameter must be a whole segment ({segment!r})")
                shape.append(segment)
                node = node.literal.setdefault(segment, _Node())
        if node.entry is not None:
            raise ValueError(f"paths {node.entry.template!r} and {template!r} are the same route")
        entry: PathEntry[T] = PathEntry(template, tuple(names))
        node.entry = entry
        self.entries[template] = entry
        self._recent.clear()
        if not names:
            self._static[template] = entry
        return entry

    def match(self, raw_path: bytes) -> tuple[PathEntry[T], dict[str, str]] | None:
        """The most literal template matching the path, whatever the method: a literal path that lacks
        the method is a 405 (schemathesis probes every undeclared method on literal paths and expects
        405), never a fall-through to a parameter route that has it. The returned values are shared
        with later matches of the same path: copy before changing them."""
        recent = self._recent.get(raw_path)
        if recent is not None:
            return recent
        if b"%" not in raw_path:
            static = self._static.get(raw_path.decode("utf-8", "replace"))
            if static is not None:
                return static, {}
        segments = split_path(raw_path)
        if segments is None:
            return None
        values: list[str] = []
        entry = _walk(self._root, segments, 0, values)
        if entry is None:
            return None
        found = entry, dict(zip(entry.param_names, values, strict=True))
        if len(self._recent) >= self.RECENT:
            self._recent.clear()
        self._recent[raw_path] = found
        return found

    def closest(self, raw_path: bytes) -> str | None:
        """The known template a path that matched none nearly is, or None: one literal segment misspelt
        (`audiencs`, `memberz`); a parameter takes any segment."""
        segments = split_path(raw_path)
        if not segments:
            return None
        best, score = None, 0.0
        for template in self.entries:
            similarity = _near(template[1:].split("/"), segments)
            if similarity > score:
                best, score = template, similarity
        return best


#: How alike a misspelt segment and the template's must be (difflib's ratio).
_SPELLING = 0.75


def _near(parts: list[str], segments: list[str]) -> float:
    """How near `segments` are to the template `parts` (0: not near): the same length, every segment
    fitting but one misspelt literal; the similarity of that one."""
    if len(parts) != len(segments):
        return 0.0
    misses = [(p, s) for p, s in zip(parts, segments, strict=True) if not _fits(p, s)]
    if len(misses) != 1 or misses[0][0].startswith("{"):
        return 0.0
    ratio = SequenceMatcher(None, *misses[0], autojunk=False).ratio()
    return ratio if ratio >= _SPELLING else 0.0


def _fits(part: str, segment: str) -> bool:
    return part == segment or (part.startswith("{") and part.endswith("}"))


def _walk(node: _Node[T], segments: list[str], index: int, values: list[str]) -> PathEntry[T] | None:
    if index == len(segments):
        return node.entry
    segment = segments[index]
    literal = node.literal.get(segment)
    if literal is not None:
        found = _walk(literal, segments, index + 1, values)
        if found is not None:
            return found
    if node.param is not None and segment:
        values.append(segment)
        found = _walk(node.param, segments, index + 1, values)
        if found is not None:
            return found
        values.pop()
    return None

"""Request bodies: content-type negotiation against the operation's `requestBody`, bounded reading,
safe JSON parsing (size, depth and container-size limits, so no body can reach a 500), and validation.

JSON media types (`application/json`, `*+json`) are read, parsed and validated here; any other declared
media type (the CSV upload) is left unread for the handler to stream through `Call.receive_chunks()`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from .calls import ClientDisconnected
from .problems import Problem, describe
from .references import escape, resolve
from .rejections import Rejection
from .validators import CompiledSchema, SchemaCompiler

__all__ = [
    "DEFAULT_STATE_BODY",
    "MISSING_BODY",
    "BodyLimits",
    "BodySpec",
    "MediaEntry",
    "compile_body",
    "media_type_of",
]

MISSING_BODY = Problem(
    "body", (), "schema", "object", "a request body", "undefined", "A request body is required"
)

Receive = Callable[[], Awaitable[Mapping[str, Any]]]

#: The default limit of a state restore's body (`PUT /_mock/state`, `serve --max-state-body`): the
#: mock's exports are far larger than other JSON bodies (about 500 bytes per changed consumer).
DEFAULT_STATE_BODY = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """`max_bytes` bounds a JSON body (413); `max_depth` its nesting (400: orjson itself refuses to
    serialize past 254 levels, so a deeper accepted value would be a 500 later); `max_items` the entries
    of any one array or object (413)."""

    max_bytes: int = 1024 * 1024
    max_depth: int = 64
    max_items: int = 10_000


@dataclass(frozen=True, slots=True)
class MediaEntry:
    media_type: str
    is_json: bool
    validator: CompiledSchema | None


class BodySpec:
    """An operation's `requestBody`: whether it is required and what each media type accepts."""

    __slots__ = ("accepted", "exact", "limits", "ranges", "required")

    def __init__(self, required: bool, entries: list[MediaEntry]) -> None:
        self.required = required
        #: this operation's own JSON limits (a state restore's larger body), or None: the app's
        self.limits: BodyLimits | None = None
        self.exact = {entry.media_type: entry for entry in entries if "*" not in entry.media_type}
        self.ranges = [entry for entry in entries if "*" in entry.media_type]
        self.accepted = ", ".join(entry.media_type for entry in entries)

    def select(self, media_type: str) -> MediaEntry | None:
        entry = self.exact.get(media_type)
        if entry is not None:
            return entry
        major = media_type.partition("/")[0]
        for candidate in self.ranges:
            if candidate.media_type in ("*/*", f"{major}/*"):
                return candidate
        return None


def media_type_of(content_type: bytes) -> str:
    """`Application/JSON; charset=utf-8` -> `application/json`."""
    return content_type.split(b";", 1)[0].strip().decode("latin-1").lower()


def is_json_media_type(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def compile_body(
    document: dict[str, Any],
    document_index: int,
    path_key: str,
    method: str,
    definition: dict[str, Any],
    compiler: SchemaCompiler,
) -> BodySpec | None:
    if "requestBody" not in definition:
        return None
    pointer, request_body = resolve(
        document, f"/paths/{escape(path_key)}/{method}/requestBody", definition["requestBody"]
    )
    entries = []
    for media_type, media in (request_body.get("content") or {}).items():
        normalized = media_type.split(";", 1)[0].strip().lower()
        is_json = is_json_media_type(normalized)
        validator = None
        if is_json and isinstance(media, dict) and "schema" in media:
            validator = compiler.at(document_index, f"{pointer}/content/{escape(media_type)}/schema", "body")
        entries.append(MediaEntry(normalized, is_json, validator))
    return BodySpec(bool(request_body.get("required", False)), entries)


async def read_body(receive: Receive, limit: int, declared_length: bytes | None) -> bytes:
    """The whole body, refusing (413) as soon as it is known to exceed `limit`."""
    if declared_length is not None:
        try:
            if int(declared_length) > limit:
                raise Rejection.too_large(limit)
        except ValueError:
            raise Rejection.bad_request("The Content-Length header is not a number") from None
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnected()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise Rejection.too_large(limit)
        return body
    chunks = [body]
    total = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            raise Rejection.too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_json(raw: bytes, limits: BodyLimits) -> Any:
    """Parsed JSON, or a `Rejection` (400 malformed / invalid UTF-8 / too deep, 413 too many entries)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        text = str(error)
        reason = (
            "the body is not valid UTF-8" if "utf-8" in text.lower() else f"malformed JSON ({text[:120]})"
        )
        raise Rejection.invalid(
            [Problem("body", (), "schema", "json", "JSON", _received(raw), f"Invalid JSON: {reason}")]
        ) from None
    # Cheap pre-check in C: a body with few brackets and commas cannot be deep or wide.
    if raw.count(b"[") + raw.count(b"{") > limits.max_depth or raw.count(b",") >= limits.max_items:
        _check_shape(value, limits)
    return value


def _check_shape(value: Any, limits: BodyLimits) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limits.max_depth:
            raise Rejection.invalid(
                [
                    Problem(
                        "body",
                        (),
                        "schema",
                        "json",
                        f"at most {limits.max_depth} levels of nesting",
                        f"more than {limits.max_depth}",
                        f"Invalid JSON: nested deeper than {limits.max_depth} levels",
                    )
                ]
            )
        if len(node) > limits.max_items:
            raise Rejection.too_large_json(
                f"An array or object in the body has more than {limits.max_items} entries"
            )
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _received(raw: bytes) -> str:
    try:
        return describe(raw[:40].decode("utf-8"))
    except UnicodeDecodeError:
        return "invalid UTF-8"

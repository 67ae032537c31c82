"""From `Reply` to bytes on the wire: serialization (orjson), the content type and framing headers,
and the rendering of a shell `Rejection` in the family's envelope."""

from __future__ import annotations

import json

import orjson

from .calls import Reply
from .envelopes import Envelope
from .rejections import Rejection

__all__ = ["encode", "framed", "rendered"]

_JSON = b"application/json"
#: The shell owns framing: a handler names its media type through `Reply.media_type`.
_FRAMING = frozenset({"content-type", "content-length", "transfer-encoding"})
_BODILESS = frozenset({204, 304})


def encode(reply: Reply) -> bytes:
    """The body's bytes: orjson for JSON media types, `bytes` as is, `str` as UTF-8 otherwise."""
    body = reply.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str) and not reply.media_type.endswith("json"):
        return body.encode("utf-8")
    try:
        return orjson.dumps(body)
    except TypeError:
        # orjson refuses integers past 64 bits, which a client can send (`?first=1e30` coerced, a huge
        # number echoed in a validation envelope); the standard library writes them exactly.
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def framed(
    reply: Reply, payload: bytes, request_id: str, extra: list[tuple[bytes, bytes]]
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The response headers (framing, request id, `extra` such as CORS, then the handler's own) and
    the payload to send, empty for a 204 or 304."""
    if reply.status in _BODILESS:
        headers = [(b"x-request-id", request_id.encode())]
        payload = b""
    else:
        headers = [
            (b"content-type", _content_type(reply)),
            (b"content-length", str(len(payload)).encode()),
            (b"x-request-id", request_id.encode()),
        ]
    if extra:
        headers.extend(extra)
    if reply.headers:
        headers.extend(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in reply.headers.items()
            if name.lower() not in _FRAMING
        )
    return headers, payload


def rendered(rejection: Rejection, envelope: Envelope) -> Reply:
    """A refused request as its reply: the validation envelope when there are problems, else `{error}`."""
    if rejection.problems:
        body = envelope.validation(rejection.problems, rejection.roots)
    elif rejection.detail:
        body = envelope.error(rejection.message, message=rejection.detail)
    else:
        body = envelope.error(rejection.message)
    return Reply(rejection.status, body, headers=rejection.headers)


def _content_type(reply: Reply) -> bytes:
    media_type = reply.media_type
    if media_type == "application/json":
        return _JSON
    if media_type.startswith("text/") and "charset" not in media_type:
        return f"{media_type}; charset=utf-8".encode("latin-1")
    return media_type.encode("latin-1")

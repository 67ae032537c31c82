"""Recorded exchanges as a VCR.py cassette (YAML, `interactions` + `version: 1`), keys redacted.

The format VCR.py and pytest-recording users already read. Every secret key seen is written as
`$FANFARE_TOKEN` / `$FANFARE_SECOND_TOKEN` (headers, URLs and bodies alike); `replay` puts the
target's keys back in their place.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml

from contracts.curl import SECRET_VARIABLES, redact
from contracts.traffic import Traffic

__all__ = ["read_cassette", "write_cassette"]


def _text(data: bytes, secrets: Sequence[str]) -> str | bytes:
    try:
        return redact(data.decode("utf-8"), secrets)
    except UnicodeDecodeError:
        return data  # stored as !!binary, byte for byte


def _headers(pairs: Sequence[tuple[str, str]], secrets: Sequence[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(redact(value, secrets))
    return grouped


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def cassette(exchanges: Sequence[Traffic], secrets: Sequence[str]) -> dict[str, Any]:
    interactions = [
        {
            "request": {
                "body": _text(t.request_body, secrets) if t.request_body else None,
                "headers": _headers(t.request_headers, secrets),
                "method": t.method,
                "uri": redact(t.url, secrets),
            },
            "response": {
                "body": {"string": _text(t.response_body, secrets)},
                "headers": _headers(t.response_headers, secrets),
                "status": {"code": t.status, "message": _reason(t.status)},
            },
        }
        for t in exchanges
    ]
    return {"interactions": interactions, "version": 1}


def write_cassette(path: Path, exchanges: Sequence[Traffic], secrets: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(cassette(exchanges, secrets), sort_keys=False, allow_unicode=True, width=4096)
    path.write_text(text, encoding="utf-8")


def _bytes(value: Any, secrets: Sequence[str]) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return _restore(str(value), secrets).encode("utf-8")


def _restore(text: str, secrets: Sequence[str]) -> str:
    # Longest variable first: $FANFARE_SECOND_TOKEN must not be read as $FANFARE_S... of the first.
    for variable, secret in sorted(
        zip(SECRET_VARIABLES, secrets, strict=False), key=lambda pair: -len(pair[0])
    ):
        if secret:
            text = text.replace(f"${variable}", secret)
    return text


def read_cassette(path: Path, secrets: Sequence[str] = ()) -> list[Traffic]:
    """The recorded exchanges in order, with `secrets` put back where the keys were redacted."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict) or not isinstance(document.get("interactions"), list):
        raise ValueError(f"{path} is not a VCR cassette (no `interactions` list)")
    found: list[Traffic] = []
    for number, item in enumerate(document["interactions"], 1):
        request, response = item.get("request") or {}, item.get("response") or {}
        found.append(
            Traffic(
                method=str(request.get("method", "GET")).upper(),
                url=_restore(str(request.get("uri", "")), secrets),
                request_headers=[
                    (name, _restore(str(value), secrets))
                    for name, values in (request.get("headers") or {}).items()
                    for value in (values if isinstance(values, list) else [values])
                ],
                request_body=_bytes(request.get("body"), secrets),
                status=int((response.get("status") or {}).get("code", 0)),
                response_headers=[
                    (name, str(value))
                    for name, values in (response.get("headers") or {}).items()
                    for value in (values if isinstance(values, list) else [values])
                ],
                response_body=_bytes((response.get("body") or {}).get("string"), ()),
                index=number,
            )
        )
    return found

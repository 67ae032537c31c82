"""One HTTP exchange as it passed through (the proxy) or was recorded (a cassette): the raw bytes.

Headers are kept as ordered (name, value) pairs with the names as sent, so nothing is lost or merged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from contracts.curl import curl_command

__all__ = ["Traffic"]

Headers = list[tuple[str, str]]


def header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


@dataclass
class Traffic:
    method: str
    url: str  # the full URL the client asked for (the upstream's base + path + query)
    request_headers: Headers
    request_body: bytes
    status: int = 0
    response_headers: Headers = field(default_factory=list)
    response_body: bytes = b""
    elapsed: float = 0.0  # seconds the upstream took
    index: int = 0  # its place in the session, from 1

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    def request_header(self, name: str) -> str | None:
        return header(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        return header(self.response_headers, name)

    def response_json(self) -> Any:
        try:
            return json.loads(self.response_body)
        except (ValueError, UnicodeDecodeError):
            return None

    def request_json(self) -> Any:
        try:
            return json.loads(self.request_body)
        except (ValueError, UnicodeDecodeError):
            return None

    def curl(self, secrets: Sequence[str]) -> str:
        return curl_command(
            self.method, self.url, dict(self.request_headers), self.request_body or None, secrets=secrets
        )

    def snippet(self, limit: int = 300) -> str:
        text = self.response_body.decode("utf-8", errors="replace")
        return text if len(text) <= limit else text[:limit] + "…"

    def multi_response_headers(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for name, value in self.response_headers:
            grouped.setdefault(name.lower(), []).append(value)
        return grouped

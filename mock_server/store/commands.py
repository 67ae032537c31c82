"""A command: one validated call that may change the world, as it is written to the log and read back.

It holds what the handler reads (operation, path parameters, query, body, the caller's key, the few
headers handlers and hooks read),
the raw body of a streamed upload, and the instant it was decided on the proposing worker's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Command:
    operation_id: str
    path_params: dict[str, Any]
    query: dict[str, Any]
    body: Any
    secret_key: str | None
    headers: dict[str, str]
    instant: datetime
    raw_body: bytes | None = None

    def encode(self) -> tuple[bytes, bytes | None]:
        """The JSON part and the raw body (kept apart: a CSV upload is bytes, not JSON)."""
        document = {
            "op": self.operation_id,
            "p": self.path_params,
            "q": self.query,
            "b": self.body,
            "k": self.secret_key,
            "h": self.headers,
            "t": self.instant.isoformat(),
        }
        return orjson.dumps(document), self.raw_body

    @classmethod
    def decode(cls, data: bytes, raw_body: bytes | None) -> Command:
        document = orjson.loads(data)
        return cls(
            operation_id=document["op"],
            path_params=document["p"],
            query=document["q"],
            body=document["b"],
            secret_key=document["k"],
            headers=document["h"],
            instant=datetime.fromisoformat(document["t"]),
            raw_body=raw_body,
        )

"""Request ids: an incoming `X-Request-Id` is echoed when it looks sane, otherwise one is made up.

Generated ids are a random per-app prefix plus a counter: unique, ordered, and far cheaper than a uuid4.
"""

from __future__ import annotations

import itertools
import re
import secrets

__all__ = ["RequestIds"]

_SANE = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")


class RequestIds:
    __slots__ = ("_counter", "_prefix")

    def __init__(self) -> None:
        self._prefix = f"req_{secrets.token_hex(4)}_"
        self._counter = itertools.count(1)

    def take(self, incoming: bytes | None) -> str:
        if incoming is not None and _SANE.fullmatch(incoming):
            return incoming.decode("ascii")
        return f"{self._prefix}{next(self._counter):06d}"

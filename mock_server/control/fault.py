"""A fault rule as asked for, by `POST /_mock/faults` or a test's `mock.faults.add(...)`: one value the
handler and the pytest handle build and the fault book checks and keeps (as a `FaultRule`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

__all__ = ["Fault"]


@dataclass(frozen=True, slots=True)
class Fault:
    """Answer `status` (its text `error`) or the documented `example`, and/or delay by `latency_ms`, for
    calls to `operation_id` (every operation if None) by the tenant whose secret key is `key` (every
    tenant if None), for the next `times` calls (until removed if None). Only plain data: whether the
    spec allows it is the book's check. The key never shows in a repr."""

    operation_id: str | None = None
    _: KW_ONLY
    status: int | None = None
    example: str | None = None
    error: str | None = None
    latency_ms: int = 0
    times: int | None = None
    key: str | None = field(default=None, repr=False)

    @classmethod
    def from_request(cls, body: Mapping[str, Any]) -> Fault:
        """From the body of `POST /_mock/faults` (already validated against the mock's document)."""
        return cls(
            body.get("operationId"),
            status=body.get("status"),
            example=body.get("example"),
            error=body.get("error"),
            latency_ms=body.get("latencyMs", 0),
            times=body.get("times"),
            key=body.get("secretKey"),
        )

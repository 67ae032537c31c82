"""The kernel every domain package stands on: the simulated clock, id factories and the domain errors."""

from __future__ import annotations

from mock_server.domain.kernel.clock import (
    DEFAULT_START,
    Clock,
    in_range,
    isoformat,
)
from mock_server.domain.kernel.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    Invalid,
    Issue,
    NotFound,
    TooLarge,
    Unauthorized,
)
from mock_server.domain.kernel.ids import (
    IdFactory,
)
from mock_server.domain.kernel.steps import Steps, finish

__all__ = (
    "DEFAULT_START",
    "Clock",
    "Conflict",
    "DomainError",
    "IdFactory",
    "IllegalTransition",
    "Invalid",
    "Issue",
    "NotFound",
    "Steps",
    "TooLarge",
    "Unauthorized",
    "finish",
    "in_range",
    "isoformat",
)

"""An experience and its parts as values, and its status table: status derives from the schedule.

Status against the virtual clock: draft (no openAt), scheduled (now < openAt), active (openAt <= now and
no closeAt or now < closeAt), completed (closeAt <= now). /api/v1 renders it lowercase as the guide does;
/api has no status field. The concepts page's scheduled/open/closed are scheduled/active/completed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any

from mock_server.domain.kernel import IllegalTransition


class ExperienceStatus(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"


class ExperienceEvent(Enum):
    SCHEDULE = "schedule"  # an openAt is set
    OPEN = "open"  # the clock reaches openAt
    CLOSE = "close"  # the clock reaches closeAt
    DELETE = "delete"  # archive; the status itself does not change


EXPERIENCE_TRANSITIONS: Mapping[tuple[ExperienceStatus, ExperienceEvent], ExperienceStatus] = (
    MappingProxyType(
        {
            (ExperienceStatus.DRAFT, ExperienceEvent.SCHEDULE): ExperienceStatus.SCHEDULED,
            (ExperienceStatus.SCHEDULED, ExperienceEvent.OPEN): ExperienceStatus.ACTIVE,
            (ExperienceStatus.ACTIVE, ExperienceEvent.CLOSE): ExperienceStatus.COMPLETED,
            (ExperienceStatus.DRAFT, ExperienceEvent.DELETE): ExperienceStatus.DRAFT,
            (ExperienceStatus.SCHEDULED, ExperienceEvent.DELETE): ExperienceStatus.SCHEDULED,
            (ExperienceStatus.COMPLETED, ExperienceEvent.DELETE): ExperienceStatus.COMPLETED,
        }
    )
)


class CannotDeleteActive(IllegalTransition):
    """The guide's 409: an active experience has consumers in it, so it cannot be deleted."""

    def __init__(self) -> None:
        super().__init__("experience", ExperienceStatus.ACTIVE.value, ExperienceEvent.DELETE.value)
        self.message = "Cannot delete active experience"
        self.args = (self.message,)


def experience_transition(status: ExperienceStatus, event: ExperienceEvent) -> ExperienceStatus:
    try:
        return EXPERIENCE_TRANSITIONS[status, event]
    except KeyError:
        if (status, event) == (ExperienceStatus.ACTIVE, ExperienceEvent.DELETE):
            raise CannotDeleteActive() from None
        raise IllegalTransition("experience", status.value, event.value) from None


def derive_status(open_at: datetime | None, close_at: datetime | None, now: datetime) -> ExperienceStatus:
    """Walk the table from draft as far as the schedule and the clock allow."""
    status = ExperienceStatus.DRAFT
    if open_at is None:
        return status  # a closeAt alone schedules nothing
    status = experience_transition(status, ExperienceEvent.SCHEDULE)
    if now >= open_at:
        status = experience_transition(status, ExperienceEvent.OPEN)
        if close_at is not None and now >= close_at:
            status = experience_transition(status, ExperienceEvent.CLOSE)
    return status


class DistributionKind(Enum):
    QUEUE = "queues"
    DRAW = "draws"
    AUCTION = "auctions"
    APPOINTMENT = "appointments"
    TIMED_RELEASE = "timedReleases"


#: The instant a draw or an auction is decided; it ends the window when there is no closeAt.
DECIDED_KEY = MappingProxyType({DistributionKind.DRAW: "drawAt", DistributionKind.AUCTION: "settleAt"})


@dataclass(frozen=True, slots=True)
class Distribution:
    """A queue, draw, auction, appointment or timed release, kept simple: times parsed, the rest as given."""

    id: str
    kind: DistributionKind
    name: str
    open_at: datetime | None
    close_at: datetime | None
    decided_at: datetime | None  # drawAt / settleAt
    settings: Mapping[str, Any]  # every other field of the request, unchanged (admitRate, winnerCount...)


@dataclass(frozen=True, slots=True)
class ExperienceSequence:
    id: str
    name: str
    priority: float
    color: str
    access_code: str | None
    audience_id: str | None
    product_selection_mode: str | None
    sequence_products: tuple[Mapping[str, Any], ...]
    distributions: tuple[Distribution, ...]


@dataclass(frozen=True, slots=True)
class ExperienceProduct:
    id: str
    product_id: str
    product_variant_id: str | None
    is_primary: bool
    position: int


@dataclass(frozen=True, slots=True)
class Experience:
    id: str
    organization_id: str
    name: str
    slug: str
    open_at: datetime | None
    close_at: datetime | None
    time_zone: str | None
    i18n: Mapping[str, Any] | None  # stored as given: the guide's {title, description, messages} or R's map
    theme: Mapping[str, Any] | None  # stored as given: the guide's and the reference's keys differ
    access_code: str | None
    products: tuple[ExperienceProduct, ...]
    sequences: tuple[ExperienceSequence, ...]
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    archived: bool = False

    def status_at(self, now: datetime) -> ExperienceStatus:
        return derive_status(self.open_at, self.close_at, now)

"""Experience metrics: deterministic numbers from the experience id that grow with the clock while active."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mock_server.domain.experiences.experience import Experience, ExperienceStatus


@dataclass(frozen=True, slots=True)
class SequenceMetrics:
    sequence_id: str
    audience_id: str | None
    audience_size: int
    waitlist_size: int
    waitlist_by_age: tuple[int, int, int, int, int, int]  # waiting 1d, 2d, 3d, 4d, 5d, more than 5 days


@dataclass(frozen=True, slots=True)
class ExperienceMetrics:
    experience_id: str
    status: ExperienceStatus
    entries: int
    unique_consumers: int
    admissions: int
    conversions: int
    conversion_rate: float  # conversions / entries, 0 with no entries
    sequences: tuple[SequenceMetrics, ...]


def experience_metrics(
    experience: Experience, now: datetime, audience_size: Callable[[str], int] | None = None
) -> ExperienceMetrics:
    """The metrics of `experience` at `now`; `audience_size` gives a sequence's audience size by id."""
    status = experience.status_at(now)
    rng = random.Random(f"metrics:{experience.id}")
    full = rng.randint(500, 50_000)
    entries = 0
    if status is ExperienceStatus.COMPLETED:
        entries = full
    elif status is ExperienceStatus.ACTIVE and experience.open_at is not None:
        span = (experience.close_at - experience.open_at) if experience.close_at else None
        elapsed = (now - experience.open_at).total_seconds()
        share = elapsed / span.total_seconds() if span else min(1.0, elapsed / (7 * 86_400))
        entries = int(full * min(1.0, max(share, 0.01)))
    admissions = int(entries * rng.uniform(0.1, 0.6))
    conversions = int(admissions * rng.uniform(0.3, 0.9))
    waiting = status in (ExperienceStatus.SCHEDULED, ExperienceStatus.ACTIVE)
    sequences = []
    for sequence in experience.sequences:
        seq_rng = random.Random(f"metrics:{experience.id}:{sequence.id}")
        d1, d2, d3, d4, d5, more = (seq_rng.randint(0, 400) if waiting else 0 for _ in range(6))
        size = audience_size(sequence.audience_id) if audience_size and sequence.audience_id else 0
        by_age = (d1, d2, d3, d4, d5, more)
        sequences.append(SequenceMetrics(sequence.id, sequence.audience_id, size, sum(by_age), by_age))
    return ExperienceMetrics(
        experience_id=experience.id,
        status=status,
        entries=entries,
        unique_consumers=int(entries * 0.85),
        admissions=admissions,
        conversions=conversions,
        conversion_rate=round(conversions / entries, 4) if entries else 0.0,
        sequences=tuple(sequences),
    )

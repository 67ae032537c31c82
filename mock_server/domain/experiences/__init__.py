"""Experiences: the experience record and its state machine, request parsing, metrics and the book."""

from __future__ import annotations

from mock_server.domain.experiences.book import (
    ExperienceBook,
    SlugTaken,
    slugify,
)
from mock_server.domain.experiences.experience import (
    EXPERIENCE_TRANSITIONS,
    CannotDeleteActive,
    Distribution,
    DistributionKind,
    Experience,
    ExperienceEvent,
    ExperienceSequence,
    ExperienceStatus,
    derive_status,
    experience_transition,
)
from mock_server.domain.experiences.input import (
    ExperiencePatch,
    ExperienceSpec,
)
from mock_server.domain.experiences.metrics import (
    ExperienceMetrics,
)

__all__ = (
    "EXPERIENCE_TRANSITIONS",
    "CannotDeleteActive",
    "Distribution",
    "DistributionKind",
    "Experience",
    "ExperienceBook",
    "ExperienceEvent",
    "ExperienceMetrics",
    "ExperiencePatch",
    "ExperienceSequence",
    "ExperienceSpec",
    "ExperienceStatus",
    "SlugTaken",
    "derive_status",
    "experience_transition",
    "slugify",
)

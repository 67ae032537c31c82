"""The domain's error tree: what went wrong, in the domain's words, with no HTTP status codes.

The web shell maps each class to a status and a family's error envelope in one table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with one input field; `field` is a dotted path (`rules.0.values`) or "" (all of it)."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The entity does not exist for this organization (another tenant's entity is not found either)."""

    def __init__(self, entity: str, entity_id: str = "") -> None:
        super().__init__(f"{entity} not found")
        self.entity = entity
        self.entity_id = entity_id


class Invalid(DomainError):
    """Well-formed for the spec, but breaks a domain rule (unknown rule field, overlapping tiers...)."""

    def __init__(self, message: str, issues: tuple[Issue, ...] = ()) -> None:
        super().__init__(message)
        self.issues = issues or (Issue("", message),)


class Conflict(DomainError):
    """A valid request that the entity's current state forbids (sync in progress, active experience...)."""


class IllegalTransition(Conflict):
    """A state machine was asked for a move its transition table does not allow."""

    def __init__(self, machine: str, from_state: str, event: str) -> None:
        super().__init__(f"{machine}: cannot {event} from {from_state}")
        self.machine = machine
        self.from_state = from_state
        self.event = event


class TooLarge(DomainError):
    """An input exceeds a documented limit (a CSV over 10 MB or 100,000 rows)."""


class Unauthorized(DomainError):
    """The credentials name no organization of this world (a key outside a pinned set)."""

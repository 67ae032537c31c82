"""The two route families of the Admin API and what each one's dialect promises.

Everything the suite knows about "guide vs reference" lives here, so checks and scenarios ask a
`Family` instead of comparing path prefixes themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["API", "FAMILIES", "V1", "Family", "family_of_path", "select"]


@dataclass(frozen=True, slots=True)
class Family:
    """One route family: its path prefix and the dialect facts the spec decided (RECONCILIATION.md)."""

    name: str  # "v1" or "api", as on the command line
    prefix: str  # "/api/v1" or "/api"
    dialect: str  # "guide" or "reference"
    static_type: str  # the spelling of the static-list type on this family (D5)
    other_static_type: str  # the other family's spelling, a 400 here
    create_status: int  # D6
    path_regex: str  # the operations of this family, for schemathesis' include()

    def path(self, tail: str) -> str:
        return f"{self.prefix}{tail}"

    def owns(self, path: str) -> bool:
        return re.match(self.path_regex, path) is not None


V1 = Family(
    name="v1",
    prefix="/api/v1",
    dialect="guide",
    static_type="STATIC",
    other_static_type="STATIC_LIST",
    create_status=201,
    path_regex=r"^/api/v1/",
)
API = Family(
    name="api",
    prefix="/api",
    dialect="reference",
    static_type="STATIC_LIST",
    other_static_type="STATIC",
    create_status=200,
    path_regex=r"^/api/(?!v1/)",
)
FAMILIES: dict[str, Family] = {"v1": V1, "api": API}


def family_of_path(path: str) -> Family | None:
    """The family a request path belongs to (None for anything else, e.g. the mock's /_mock)."""
    for family in (V1, API):
        if family.owns(path):
            return family
    return None


def select(choice: str) -> tuple[Family, ...]:
    """`--family v1|api|both` as the families to test."""
    if choice == "both":
        return (V1, API)
    if choice in FAMILIES:
        return (FAMILIES[choice],)
    raise ValueError(f"unknown family {choice!r}; expected v1, api or both")

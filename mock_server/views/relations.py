"""What an audience is related to outside its own record (its imports, its sync source), looked up per tenant."""

from __future__ import annotations

from typing import Any

from mock_server.domain.audiences import Audience
from mock_server.domain.organization import Organization


class Relations:
    """Read-only lookups a dialect needs to render an audience's relations."""

    __slots__ = ("org",)

    def __init__(self, org: Organization) -> None:
        self.org = org

    def imports(self, audience_id: str) -> list[Any]:
        book = self.org.extensions.get("imports")
        return [] if book is None else list(book.for_audience(audience_id))

    def sync_source(self, audience: Audience) -> Any:
        book = self.org.extensions.get("sync")
        return None if book is None else book.source_for(audience.id)

"""What an audience is related to outside its own record (its imports, its sync source), per tenant."""

from __future__ import annotations

from mock_server.domain.audiences import Audience
from mock_server.domain.imports import AudienceImport
from mock_server.domain.sync import SyncSource
from mock_server.domain.world import Organization, TenantModules, modules_of


class Relations:
    """Read-only lookups a dialect needs to render an audience's relations."""

    __slots__ = ("modules", "org")

    def __init__(self, org: Organization) -> None:
        self.org = org
        self.modules: TenantModules = modules_of(org)

    def imports(self, audience_id: str) -> list[AudienceImport]:
        return self.modules.imports.for_audience(audience_id)

    def sync_source(self, audience: Audience) -> SyncSource | None:
        return self.modules.sync.source_for(audience.id)

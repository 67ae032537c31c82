"""The world: every organization (the per-tenant state), the shared consumer table, export and restore."""

from __future__ import annotations

from mock_server.domain.world.extensions import (
    MODULES,
    AudienceMembers,
    ConsumerDirectoryAdapter,
    TenantModules,
    modules_factory,
    modules_of,
)
from mock_server.domain.world.organization import (
    Organization,
)
from mock_server.domain.world.world import (
    ExtensionFactory,
    World,
)

__all__ = (
    "MODULES",
    "AudienceMembers",
    "ConsumerDirectoryAdapter",
    "ExtensionFactory",
    "Organization",
    "TenantModules",
    "World",
    "modules_factory",
    "modules_of",
)

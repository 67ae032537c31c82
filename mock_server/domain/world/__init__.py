"""The world: every organization (the per-tenant state), the shared consumer table, export and restore."""

from __future__ import annotations

from mock_server.domain.world.audience_registry import (
    AudienceRegistry,
)
from mock_server.domain.world.links import (
    ImportedMembers,
)
from mock_server.domain.world.member_sets import (
    MemberSets,
)
from mock_server.domain.world.membership import (
    Membership,
)
from mock_server.domain.world.organization import (
    Organization,
)
from mock_server.domain.world.snapshot import (
    MAX_CONSUMERS,
    check_snapshot,
)
from mock_server.domain.world.world import (
    DEFAULT_MAX_ORGANIZATIONS,
    OrganizationLimit,
    World,
    key_hash,
)

__all__ = (
    "DEFAULT_MAX_ORGANIZATIONS",
    "MAX_CONSUMERS",
    "AudienceRegistry",
    "ImportedMembers",
    "MemberSets",
    "Membership",
    "Organization",
    "OrganizationLimit",
    "World",
    "check_snapshot",
    "key_hash",
)

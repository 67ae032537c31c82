"""Audiences as values: types, the stored audience (union of both styles' fields), inputs and patches.

One stored type per kind: `STATIC` here is the reference's `STATIC_LIST` (the views spell it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, Literal

from mock_server.domain.audiences.membership import CountSource
from mock_server.domain.audiences.rules import Rule, RuleInput


class AudienceType(StrEnum):
    STATIC = "STATIC"
    DYNAMIC = "DYNAMIC"
    SYNCED_LIST = "SYNCED_LIST"

    @property
    def count_source(self) -> CountSource:
        if self is AudienceType.DYNAMIC:
            return CountSource.VALKEY_ALIAS
        if self is AudienceType.SYNCED_LIST:
            return CountSource.SYNC_SOURCE
        return CountSource.DB_LIST


class GroupType(StrEnum):
    SEGMENTED_VALUE = "SEGMENTED_VALUE"
    RFM = "RFM"


class AudienceSyncStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class _Unset(Enum):
    UNSET = "UNSET"


UNSET = _Unset.UNSET
Unset = Literal[_Unset.UNSET]


@dataclass(frozen=True, slots=True)
class Audience:
    id: str
    organization_id: str
    name: str
    description: str | None
    type: AudienceType
    icon_name: str | None
    metadata: Mapping[str, Any] | None
    version: int  # bumps on every rule change (not on a rename)
    group_id: str | None
    group_type: GroupType | None
    group_name: str | None
    primary_sync_source_id: str | None
    last_refreshed_at: datetime | None
    refresh_interval_seconds: int | None
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str | None
    archived: bool
    rules: tuple[Rule, ...]  # in evaluation order


@dataclass(frozen=True, slots=True)
class AudienceInput:
    """A create request, in the domain's words (either dialect's view translates into this)."""

    name: str
    type: AudienceType
    description: str | None = None
    icon_name: str | None = None
    metadata: Mapping[str, Any] | None = None
    rules: tuple[RuleInput, ...] = ()
    group_id: str | None = None
    group_type: GroupType | None = None
    group_name: str | None = None
    primary_sync_source_id: str | None = None
    refresh_interval_seconds: int | None = None
    last_refreshed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AudiencePatch:
    """A partial update: UNSET leaves a field alone, None clears a nullable one."""

    name: str | Unset = UNSET
    description: str | Unset | None = UNSET
    icon_name: str | Unset | None = UNSET
    metadata: Mapping[str, Any] | Unset | None = UNSET
    type: AudienceType | Unset = UNSET
    group_id: str | Unset | None = UNSET
    group_type: GroupType | Unset | None = UNSET
    group_name: str | Unset | None = UNSET
    refresh_interval_seconds: int | Unset | None = UNSET
    last_refreshed_at: datetime | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class RulePatch:
    """A partial update of one rule (UNSET leaves a part alone)."""

    field: str | Unset = UNSET
    operator: str | Unset = UNSET
    values: tuple[Any, ...] | Unset = UNSET
    group_id: str | Unset = UNSET
    position: int | Unset = UNSET


@dataclass(frozen=True, slots=True)
class AudienceStatus:
    audience_id: str
    version: int
    sync_status: AudienceSyncStatus | None
    last_synced_at: datetime | None
    last_refreshed_at: datetime | None
    refresh_interval_seconds: int | None
    stale: bool
    in_progress: bool
    pending_shards: int | None  # 0 once a dynamic audience is materialized; None for lists

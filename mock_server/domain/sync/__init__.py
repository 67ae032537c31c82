"""Sync sources: the vendor catalogue, a synced audience's source and its state machine, the sync book."""

from __future__ import annotations

from mock_server.domain.sync.book import (
    ALREADY_SYNCED,
    LIST_NOT_FOUND,
    ListImportResult,
    NoSyncSource,
    NotASyncedList,
    SkippedList,
    SyncBook,
)
from mock_server.domain.sync.catalogue import (
    GUIDE_KLAVIYO_LISTS,
    LISTS_PER_VENDOR,
    MAX_PROFILES,
    MIN_PROFILES,
    Catalogue,
    Vendor,
)
from mock_server.domain.sync.source import (
    SYNC_TRANSITIONS,
    SyncEvent,
    SyncInProgress,
    SyncSource,
    SyncState,
    sync_transition,
)

__all__ = (
    "ALREADY_SYNCED",
    "GUIDE_KLAVIYO_LISTS",
    "LISTS_PER_VENDOR",
    "LIST_NOT_FOUND",
    "MAX_PROFILES",
    "MIN_PROFILES",
    "SYNC_TRANSITIONS",
    "Catalogue",
    "ListImportResult",
    "NoSyncSource",
    "NotASyncedList",
    "SkippedList",
    "SyncBook",
    "SyncEvent",
    "SyncInProgress",
    "SyncSource",
    "SyncState",
    "Vendor",
    "sync_transition",
)

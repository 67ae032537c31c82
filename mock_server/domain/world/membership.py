"""Who is in an organization's audiences: adding members to lists, member pages, counts, status, and
the audiences a consumer is in.

Adding unknown consumer ids to a list is Invalid (naming them), never silently skipped: a client that
sends a wrong id has a bug the mock should show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from mock_server.domain.audiences import (
    Audience,
    AudienceCount,
    AudienceStatus,
    AudienceSyncStatus,
    AudienceType,
    Page,
    PageRequest,
    Positions,
    as_positions,
    select,
)
from mock_server.domain.consumers import ConsumerRecord, ConsumerTable
from mock_server.domain.kernel import Invalid, Issue, NotFound
from mock_server.domain.world.audience_registry import AudienceRegistry
from mock_server.domain.world.member_sets import MemberSets

#: A synced list's sync status and last sync, by audience id (the organization's sync book).
SyncStatusOf = Callable[[str], tuple[AudienceSyncStatus | None, datetime | None]]


class Membership:
    """The members of one tenant's audiences, by audience id (archived or unknown ids are NotFound)."""

    def __init__(
        self,
        audiences: AudienceRegistry,
        sets: MemberSets,
        consumers: ConsumerTable,
        sync_status: SyncStatusOf,
    ) -> None:
        self._audiences = audiences
        self._sets = sets
        self.consumers = consumers
        self._sync_status = sync_status

    # ---- changes -----------------------------------------------------------------------------------
    def add(self, audience_id: str, consumer_ids: Sequence[str]) -> int:
        """Add consumers to a static list by id; returns how many were not members yet."""
        audience = self._audiences.observe(audience_id)
        if audience.type is not AudienceType.STATIC:
            raise Invalid("Members can only be added to a static list", (Issue("", "not a static list"),))
        return self.add_positions(audience_id, self._positions_of(consumer_ids))

    def remove(self, audience_id: str, consumer_ids: Sequence[str]) -> int:
        audience = self._audiences.observe(audience_id)
        if audience.type is not AudienceType.STATIC:
            raise Invalid("Members can only be removed from a static list", (Issue("", "not a static list"),))
        removed = self._sets.of(audience_id).remove(as_positions(self._positions_of(consumer_ids)))
        self._audiences.touch(audience)
        return removed

    def add_positions(self, audience_id: str, positions: Sequence[int] | Positions) -> int:
        """For importers and sync: add consumers by position to any list audience."""
        audience = self._audiences.observe(audience_id)
        added = self._sets.of(audience_id).add(as_positions(positions))
        self._audiences.touch(audience)
        return added

    def replace_positions(self, audience_id: str, positions: Sequence[int] | Positions) -> None:
        """For sync: replace a synced list's members wholesale."""
        self._sets.of(self._audiences.observe(audience_id).id).replace(as_positions(positions))

    # ---- reads -------------------------------------------------------------------------------------
    def positions(self, audience_id: str) -> Positions:
        audience = self._audiences.get(audience_id)
        return self._sets.of(audience.id).positions

    def page(self, audience_id: str, request: PageRequest | None = None) -> Page[ConsumerRecord]:
        return self.records_of(self.position_page(audience_id, request))

    def position_page(self, audience_id: str, request: PageRequest | None = None) -> Page[int]:
        """A members page as consumer positions (`records_of` turns it into records)."""
        return self._select(self.positions(audience_id), request or PageRequest())

    def records_of(self, page: Page[int]) -> Page[ConsumerRecord]:
        return Page(tuple(self.consumers.records(page.items)), page.start_cursor, page.end_cursor)

    def count(self, audience_id: str) -> AudienceCount:
        audience = self._audiences.get(audience_id)
        return AudienceCount(audience.id, len(self._sets.of(audience.id)), audience.type.count_source)

    def status(self, audience_id: str) -> AudienceStatus:
        """Materialization status, as observed: reading it does not refresh anything."""
        audience = self._audiences.observe(audience_id)
        dynamic = audience.type is AudienceType.DYNAMIC
        sync_status, synced_at = None, None
        if audience.type is AudienceType.SYNCED_LIST:
            sync_status, synced_at = self._sync_status(audience.id)
        return AudienceStatus(
            audience_id=audience.id,
            version=audience.version,
            sync_status=sync_status,
            last_synced_at=synced_at,
            last_refreshed_at=audience.last_refreshed_at,
            refresh_interval_seconds=audience.refresh_interval_seconds,
            stale=dynamic and self._sets.stale(audience),
            # a sync pending or running (shown as PENDING) is work in progress: a re-sync is a 409 then
            in_progress=sync_status is AudienceSyncStatus.PENDING,
            pending_shards=0 if dynamic else None,
        )

    def group_page(
        self, group_id: str, request: PageRequest | None = None, audience_id: str | None = None
    ) -> Page[ConsumerRecord]:
        return self.records_of(self.group_position_page(group_id, request, audience_id))

    def group_position_page(
        self, group_id: str, request: PageRequest | None = None, audience_id: str | None = None
    ) -> Page[int]:
        """The members of a group's audiences (or of one of them), each consumer once."""
        audiences = self._audiences.group(group_id)
        if audience_id is not None:
            audiences = [a for a in audiences if a.id == audience_id]
            if not audiences:
                raise NotFound("Audience", audience_id)
        sets = [self._sets.of(a.id).positions for a in audiences]
        positions = sets[0] if len(sets) == 1 else np.unique(np.concatenate(sets))
        return self._select(positions, request or PageRequest())

    def audiences_of(self, consumer_id: str) -> list[Audience]:
        """The live audiences a consumer is a member of."""
        position = self._position_of(consumer_id)
        return [a for a in self._audiences.live() if position in self._sets.of(a.id)]

    # ---- internals ---------------------------------------------------------------------------------
    def _position_of(self, consumer_id: str) -> int:
        position = self.consumers.index_of_id(consumer_id) if isinstance(consumer_id, str) else None
        if position is None:
            raise NotFound("Consumer", consumer_id)
        return position

    def _positions_of(self, consumer_ids: Sequence[str]) -> list[int]:
        positions, issues = [], []
        for i, consumer_id in enumerate(consumer_ids):
            position = self.consumers.index_of_id(consumer_id) if isinstance(consumer_id, str) else None
            if position is None:
                issues.append(Issue(f"consumerIds.{i}", f"Unknown consumer {consumer_id!r}"))
            else:
                positions.append(position)
        if issues:
            raise Invalid("Unknown consumer ids", tuple(issues))
        return positions

    def _select(self, positions: Positions, request: PageRequest) -> Page[int]:
        matcher: Callable[[Positions], Any] | None = None
        if request.search:
            needle = request.search
            matcher = lambda chunk: self._search_mask(chunk, needle)  # noqa: E731
        return select(positions, request, matcher)

    def _search_mask(self, positions: Positions, needle: str) -> npt.NDArray[np.bool_]:
        """Which `positions` match a members search (case-insensitive substring of email, phone, name)."""
        needle = needle.casefold()
        table = self.consumers
        email, phone, name = table.strings("email"), table.strings("phone"), table.strings("full_name")

        def hit(i: int) -> bool:
            return any(s is not None and needle in s.casefold() for s in (email[i], phone[i], name[i]))

        return np.fromiter((hit(i) for i in positions.tolist()), dtype=np.bool_, count=len(positions))

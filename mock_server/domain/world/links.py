"""How an organization's books reach its audiences: the sync book's host and an import's member sink."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from mock_server.domain.audiences import AudienceInput, AudienceType
from mock_server.domain.consumers import ConsumerTable
from mock_server.domain.kernel import NotFound
from mock_server.domain.sync import SyncSource

if TYPE_CHECKING:  # the organization builds these around itself
    from mock_server.domain.world.membership import Membership
    from mock_server.domain.world.organization import Organization


class SyncedLists:
    """What the sync book needs from an organization (its SyncHost): consumers and synced lists."""

    __slots__ = ("_ref",)

    def __init__(self, org: weakref.ref[Organization]) -> None:
        self._ref = org  # weakly: the organization holds its host, the host no cycle

    @property
    def _org(self) -> Organization:
        org = self._ref()
        assert org is not None, "the host of a dropped organization was used"
        return org

    def consumer_directory(self) -> ConsumerTable:
        return self._org.consumers

    def replace_members(self, audience_id: str, positions: Sequence[int]) -> None:
        self._org.members.replace_positions(audience_id, positions)

    def create_synced_list(self, source: SyncSource, *, created_by: str) -> str:
        audience = self._org.audiences.create(
            AudienceInput(
                name=source.list_name or source.external_id,
                type=AudienceType.SYNCED_LIST,
                primary_sync_source_id=source.id,
            )
        )
        return audience.id

    def audience_is_live(self, audience_id: str) -> bool:
        try:
            self._org.audiences.get(audience_id)
        except NotFound:
            return False
        return True


class ImportedMembers:
    """An import's member sink: the valid rows become members of the import's audience."""

    __slots__ = ("_audience_id", "_members")

    def __init__(self, members: Membership, audience_id: str) -> None:
        self._members = members
        self._audience_id = audience_id

    def add_members(self, positions: Iterable[int]) -> int:
        return self._members.add_positions(self._audience_id, list(positions))

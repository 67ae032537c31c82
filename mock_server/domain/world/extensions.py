"""The per-tenant modules beyond audiences (jobs, CSV imports, list sync, experiences), built into each
Organization, and the adapter through which they reach the Organization's consumers and audiences."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mock_server.domain.audiences import AudienceInput, AudienceType
from mock_server.domain.experiences import ExperienceBook
from mock_server.domain.imports import ImportBook, JobBoard
from mock_server.domain.kernel import NotFound
from mock_server.domain.sync import Catalogue, SyncBook, SyncSource
from mock_server.domain.world.organization import Organization

#: The key under which an Organization keeps its TenantModules (`org.extensions[MODULES]`).
MODULES = "modules"


class ConsumerDirectoryAdapter:
    """The Organization's consumer table as the importers' ConsumerDirectory (lookups, upserts, members)."""

    __slots__ = ("_org",)

    def __init__(self, org: Organization) -> None:
        self._org = org

    def index_of_email(self, email: str) -> int | None:
        return self._org.consumers.index_of_email(email)

    def index_of_phone(self, phone: str) -> int | None:
        return self._org.consumers.index_of_phone(phone)

    def index_of_external_id(self, external_id: str) -> int | None:
        return self._org.consumers.index_of_external_id(external_id)

    def metadata_of(self, position: int) -> Mapping[str, Any] | None:
        return self._org.consumers.metadata_of(position)

    def append(self, **attrs: Any) -> int:
        return self._org.consumers.append(**attrs)

    def __len__(self) -> int:
        return len(self._org.consumers)

    def append_many(self, rows: Sequence[Mapping[str, Any]]) -> Sequence[int]:
        """Bulk appends (a BulkDirectory), so the importer writes new consumers a batch at a time."""
        return self._org.consumers.append_many(rows)

    def has_metadata_key(self, key: str) -> bool:
        return self._org.consumers.has_metadata_key(key)

    def update(self, position: int, **attrs: Any) -> None:
        self._org.consumers.update(position, **attrs)


class OrganizationHost:
    """What the sync book needs from an Organization (its SyncHost)."""

    __slots__ = ("_directory", "_org")

    def __init__(self, org: Organization) -> None:
        self._org = org
        self._directory = ConsumerDirectoryAdapter(org)

    def consumer_directory(self) -> ConsumerDirectoryAdapter:
        return self._directory

    def replace_members(self, audience_id: str, positions: Sequence[int]) -> None:
        self._org.set_member_positions(audience_id, positions)

    def create_synced_list(self, source: SyncSource, *, created_by: str) -> str:
        audience = self._org.create_audience(
            AudienceInput(
                name=source.list_name or source.external_id,
                type=AudienceType.SYNCED_LIST,
                primary_sync_source_id=source.id,
            )
        )
        return audience.id

    def audience_is_live(self, audience_id: str) -> bool:
        try:
            self._org.get_audience(audience_id)
        except NotFound:
            return False
        return True


class AudienceMembers:
    """An import's member sink: the valid rows become members of the import's audience."""

    __slots__ = ("_audience_id", "_org")

    def __init__(self, org: Organization, audience_id: str) -> None:
        self._org = org
        self._audience_id = audience_id

    def add_members(self, positions: Iterable[int]) -> int:
        return self._org.add_member_positions(self._audience_id, list(positions))


@dataclass(slots=True)
class TenantModules:
    """One tenant's jobs, imports, sync sources and experiences, sharing one job board."""

    org: Organization
    jobs: JobBoard
    imports: ImportBook
    sync: SyncBook
    experiences: ExperienceBook
    host: OrganizationHost

    def export(self) -> dict[str, Any]:
        return {
            "jobs": self.jobs.export(),
            "imports": self.imports.export(),
            "sync": self.sync.export(),
            "experiences": self.experiences.export(),
        }

    def forget_audience(self, audience_id: str) -> None:
        """An archived audience takes its imports and sync source with it, and leaves the experiences."""
        self.imports.archive_for_audience(audience_id)
        self.sync.archive_for_audience(audience_id)
        self.experiences.detach_audience(audience_id, updated_by=self.org.actor)


def modules_factory(seed: int) -> Any:
    """The World's ExtensionFactory for TenantModules, for worlds of this seed (the catalogue needs it)."""

    def build(org: Organization, data: dict[str, Any] | None) -> TenantModules:
        catalogue = Catalogue(seed, org.id)
        if data is None:
            jobs = JobBoard(org.clock, org.ids)
            imports = ImportBook(org.id, org.clock, org.ids, jobs)
            sync = SyncBook(org.id, org.clock, org.ids, jobs, catalogue)
            experiences = ExperienceBook(org.id, org.clock, org.ids)
        else:
            jobs = JobBoard.restore(data["jobs"], org.clock, org.ids)
            imports = ImportBook.restore(data["imports"], org.id, org.clock, org.ids, jobs)
            sync = SyncBook.restore(data["sync"], org.id, org.clock, org.ids, jobs, catalogue)
            experiences = ExperienceBook.restore(data["experiences"], org.id, org.clock, org.ids)
        org.sync_status_source = sync
        return TenantModules(org, jobs, imports, sync, experiences, OrganizationHost(org))

    return build


def modules_of(org: Organization) -> TenantModules:
    return org.extensions[MODULES]  # type: ignore[no-any-return]

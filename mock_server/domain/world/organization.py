"""The Organization: one tenant's consumers, its audiences (`audiences`: records and rules), their
members (`members`), and its books (imports, sync sources, experiences, jobs) as typed fields.

The rules that span them live here: the archive cascade (an archived audience takes its imports and
sync source with it and leaves every experience) and the CSV import of a static list.
"""

from __future__ import annotations

import weakref
from collections.abc import Generator, Mapping
from datetime import datetime
from typing import Any

from mock_server.domain.audiences import AudienceSyncStatus, AudienceType
from mock_server.domain.consumers import ConsumerTable
from mock_server.domain.experiences import ExperienceBook
from mock_server.domain.imports import AudienceImport, ChunkSource, ImportBook, JobBoard
from mock_server.domain.kernel import Clock, IdFactory, Invalid, Issue, finish
from mock_server.domain.sync import Catalogue, SyncBook
from mock_server.domain.world.ahead import Ahead
from mock_server.domain.world.audience_registry import AudienceRegistry
from mock_server.domain.world.links import ImportedMembers, SyncedLists
from mock_server.domain.world.member_sets import MemberSets
from mock_server.domain.world.membership import Membership


class Organization:
    """One tenant: its consumers, audiences and members, and the books of its imports, sync sources,
    experiences and jobs. Everything names audiences by id; another tenant's id is simply not found."""

    def __init__(
        self,
        organization_id: str,
        clock: Clock,
        ids: IdFactory,
        consumers: ConsumerTable,
        actor: str,
        catalogue: Catalogue | None = None,
    ):
        self.id = organization_id
        self.clock = clock
        self.ids = ids
        self.consumers = consumers
        self.actor = actor  # createdBy/updatedBy: a non-secret label of the key
        self.jobs = JobBoard(clock, ids)  # one board: imports and syncs share its progressions and faults
        self.imports = ImportBook(organization_id, clock, ids, self.jobs)
        self.sync = SyncBook(
            organization_id, clock, ids, self.jobs, catalogue or Catalogue(0, organization_id)
        )
        self.experiences = ExperienceBook(organization_id, clock, ids)
        sets = MemberSets(clock, consumers)
        # the parts reach back into the organization weakly: it holds no reference cycle, so a dropped
        # organization is freed at once, without the cyclic collector (whose full pass over thousands of
        # dropped organizations held the loop for about half a second), frozen or not
        itself = weakref.ref(self)
        self.audiences = AudienceRegistry(
            organization_id, clock, ids, sets, actor, lambda audience: _alive(itself)._archived(audience)
        )
        self.members = Membership(
            self.audiences, sets, consumers, lambda audience: _alive(itself)._sync_status(audience)
        )
        self.ahead = Ahead(self.audiences, sets)  # what a request will evaluate, in slices first
        self.sync_host = SyncedLists(itself)

    # ---- CSV imports -------------------------------------------------------------------------------
    def create_import(self, audience_id: str) -> AudienceImport:
        """A new import awaiting its file; only a static list takes CSV imports."""
        audience = self.audiences.get(audience_id)
        if audience.type is not AudienceType.STATIC:
            raise Invalid(
                "Only static lists take CSV imports",
                (Issue("audienceId", f"the audience is {audience.type.value}"),),
            )
        return self.imports.create(audience.id, created_by=self.actor)

    def upload_import(self, import_id: str, chunks: ChunkSource) -> AudienceImport:
        """The file of an import: its rows upsert consumers and become members of the import's list."""
        return finish(self.upload_import_steps(import_id, chunks))

    def upload_import_steps(
        self, import_id: str, chunks: ChunkSource
    ) -> Generator[None, None, AudienceImport]:
        """`upload_import` in slices of about 20 ms (each `next()` one slice; see `import_steps`)."""
        members = ImportedMembers(self.members, self.imports.get(import_id).audience_id)
        return self.imports.upload_steps(import_id, chunks, self.consumers, members, updated_by=self.actor)

    # ---- snapshots -----------------------------------------------------------------------------------
    def export(self, *, deferred: bool = False) -> dict[str, Any]:
        """Everything changed since generation, as JSON (see `World.export`)."""
        consumers = self.consumers.export(deferred=deferred)
        return {
            "id": self.id,
            "ids": self.ids.export(),
            "consumerIds": consumers.pop("ids"),
            "consumers": consumers,
            "audiences": self.audiences.export(),
            "extensions": {
                "modules": {
                    "jobs": self.jobs.export(),
                    "imports": self.imports.export(),
                    "sync": self.sync.export(),
                    "experiences": self.experiences.export(),
                }
            },
        }

    def restore_export(self, data: Mapping[str, Any]) -> None:
        """Replay an `export()` onto a freshly built organization of the same world."""
        self.consumers.restore_export({**data["consumers"], "ids": data["consumerIds"]})
        self.ids.restore_export(data["ids"])
        self.audiences.restore_export(data["audiences"])
        books = data["extensions"].get("modules")
        if books is None:  # a snapshot of a world without the books keeps the fresh ones
            return
        catalogue, clock, ids = self.sync.catalogue, self.clock, self.ids
        self.jobs = JobBoard.restore(books["jobs"], clock, ids)
        self.imports = ImportBook.restore(books["imports"], self.id, clock, ids, self.jobs)
        self.sync = SyncBook.restore(books["sync"], self.id, clock, ids, self.jobs, catalogue)
        self.experiences = ExperienceBook.restore(books["experiences"], self.id, clock, ids)

    # ---- internals ---------------------------------------------------------------------------------
    def _archived(self, audience_id: str) -> None:
        """The archive cascade (the registry calls it for every archive): the books are looked up now,
        as a restore replaces them."""
        self.imports.archive_for_audience(audience_id)
        self.sync.archive_for_audience(audience_id)
        self.experiences.detach_audience(audience_id, updated_by=self.actor)

    def _sync_status(self, audience_id: str) -> tuple[AudienceSyncStatus | None, datetime | None]:
        return self.sync.sync_status(audience_id)


def _alive(ref: weakref.ref[Organization]) -> Organization:
    org = ref()
    assert org is not None, "a part of a dropped organization was used"  # its parts go with it
    return org

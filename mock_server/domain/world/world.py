"""The World: every tenant of one mock, keyed by secret key, seeded deterministically, resettable.

Each distinct secret key is its own organization, created (and its consumers generated) on first use,
unless keys are pinned. Keys are never kept: a tenant is known by the SHA-256 of its key, and its
organization id is derived from the seed and that hash. Consumers come from an injected
`consumer_source` (the seeding package), so the domain never touches Faker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from mock_server.domain.consumers import ConsumerColumns, ConsumerTable, empty_columns, to_millis
from mock_server.domain.kernel import DEFAULT_START, Clock, IdFactory, Unauthorized
from mock_server.domain.sync import Catalogue
from mock_server.domain.world.organization import Organization
from mock_server.domain.world.snapshot import FORMAT, check_snapshot, located

Progress = Callable[[int, int], None]
ConsumerSource = Callable[[int, str, int, Progress | None], ConsumerColumns]


def key_hash(secret_key: str) -> str:
    return hashlib.sha256(secret_key.encode("utf-8")).hexdigest()


def organization_id(seed: int, tenant_hash: str) -> str:
    """A UUIDv7-shaped id from the seed and the key's hash (time bits: the default world start)."""
    digest = hashlib.sha256(f"fanfare-mock/organization/{seed}/{tenant_hash}".encode()).digest()
    rand = int.from_bytes(digest[:10], "big")  # 80 bits: 12 + 62 used
    value = (to_millis(DEFAULT_START) << 80) | (0x7 << 76) | ((rand >> 62) & 0xFFF) << 64 | (0b10 << 62)
    value |= rand & ((1 << 62) - 1)
    return str(UUID(int=value))


def no_consumers(seed: int, organization_id: str, n: int, progress: Progress | None) -> ConsumerColumns:
    """A consumer source for worlds without consumers (the seeding package provides the real one)."""
    return empty_columns()


class World:
    def __init__(
        self,
        seed: int,
        consumers_per_org: int,
        clock: Clock,
        keys: Iterable[str] | None = None,
        consumer_source: ConsumerSource = no_consumers,
        start: datetime | None = None,
    ) -> None:
        self.seed = seed
        self.consumers_per_org = consumers_per_org
        self.clock = clock
        self.consumer_source = consumer_source
        self.pinned: frozenset[str] | None = None if keys is None else frozenset(key_hash(k) for k in keys)
        self.start = clock.now() if start is None else start
        self.start_running = clock.running
        #: Called with (key hash, organization) for every organization built fresh (first use or reset):
        #: how a scenario furnishes the organizations it names, or every new one.
        self.on_new: Callable[[str, Organization], None] | None = None
        #: Called with (key hash, secret key) when a key first makes its organization (to name it; the
        #: key itself is never kept).
        self.on_key: Callable[[str, str], None] | None = None
        self._orgs: dict[str, Organization] = {}  # by key hash, in order of first use
        self._bases: dict[str, ConsumerColumns] = {}  # pristine generated consumers, shared copy-on-write

    # ---- tenancy -----------------------------------------------------------------------------------
    def organization_for_key(self, secret_key: str) -> Organization:
        """The key's organization, created and seeded on first use (an unpinned key is Unauthorized)."""
        tenant_hash = key_hash(secret_key)
        org = self._orgs.get(tenant_hash)
        if org is None:
            org = self.organization_for_hash(tenant_hash)
            if self.on_key is not None:
                self.on_key(tenant_hash, secret_key)
        return org

    def organization_for_hash(self, tenant_hash: str, progress: Progress | None = None) -> Organization:
        org = self._orgs.get(tenant_hash)
        if org is None:
            if self.pinned is not None and tenant_hash not in self.pinned:
                raise Unauthorized("Unknown secret key")
            org = self._orgs[tenant_hash] = self.build_organization(tenant_hash, progress)
        return org

    def organizations(self) -> list[tuple[str, Organization]]:
        """(key hash, organization) in order of first use."""
        return list(self._orgs.items())

    def warm(self, progress: Progress | None = None) -> None:
        """Create the pinned organizations now (at start, with progress shown), not on first request."""
        for tenant_hash in sorted(self.pinned or ()):
            self.organization_for_hash(tenant_hash, progress)

    def build_organization(
        self, tenant_hash: str, progress: Progress | None = None, *, furnish: bool = True
    ) -> Organization:
        """A freshly seeded organization; `furnish`: let `on_new` (a scenario) make its contents."""
        org_id = organization_id(self.seed, tenant_hash)
        base = self._bases.get(org_id)
        if base is None:
            base = self._bases[org_id] = self.consumer_source(
                self.seed, org_id, self.consumers_per_org, progress
            )
        ids = IdFactory(self.clock, f"{self.seed}:{org_id}")
        table = ConsumerTable(
            org_id, self.clock, IdFactory(self.clock, f"{self.seed}:{org_id}:consumers"), base
        )
        catalogue = Catalogue(self.seed, org_id)
        org = Organization(org_id, self.clock, ids, table, f"apikey_{tenant_hash[:12]}", catalogue)
        if furnish and self.on_new is not None:
            self.on_new(tenant_hash, org)
        return org

    # ---- reset and snapshots -----------------------------------------------------------------------
    def reset(self, secret_key: str | None = None) -> None:
        """Back to the freshly seeded state, by rebuilding: one tenant (by key), or all and the clock."""
        if secret_key is not None:
            tenant_hash = key_hash(secret_key)
            if self.pinned is not None and tenant_hash not in self.pinned:
                raise Unauthorized("Unknown secret key")
            if tenant_hash in self._orgs:
                self._orgs[tenant_hash] = self.build_organization(tenant_hash)
            return
        self.clock.set(self.start)
        self.clock.running = self.start_running
        self._orgs = {}
        self.warm()

    def export(self, only: str | None = None, *, deferred: bool = False) -> dict[str, Any]:
        """A JSON-able dict that restores this world exactly, without dumping generated consumers.

        It records the generation parameters (seed, consumers per organization, the clock) and, per
        tenant, only what changed since generation (`Organization.export`). The same world gives the
        same bytes: nothing here depends on hash order or the wall clock. `deferred`: see
        `ConsumerTable.export`."""
        return {
            "format": FORMAT,
            "seed": self.seed,
            "consumersPerOrganization": self.consumers_per_org,
            "start": {"now": self.start.isoformat(), "running": self.start_running},
            "clock": {"now": self.clock.now().isoformat(), "running": self.clock.running},
            "pinnedKeyHashes": None if self.pinned is None else sorted(self.pinned),
            # `only` (a key hash): that tenant's organization alone (a tenant's own export)
            "organizations": [
                {"keyHash": h, **org.export(deferred=deferred)}
                for h, org in self._orgs.items()
                if only in (None, h)
            ],
        }

    @classmethod
    def from_snapshot(
        cls,
        data: Mapping[str, Any],
        consumer_source: ConsumerSource = no_consumers,
        clock: Clock | None = None,
    ) -> World:
        """Regenerate the consumers from the seed and replay a snapshot's changes onto them; a snapshot
        that is not one this mock could have written is `Invalid` (naming the field) before anything is
        built (`snapshot.check_snapshot`)."""
        check_snapshot(data)
        clock = clock or Clock()
        start = datetime.fromisoformat(data["start"]["now"])
        clock.set(start)
        clock.running = bool(data["start"]["running"])
        world = cls(data["seed"], data["consumersPerOrganization"], clock, None, consumer_source, start)
        pinned = data["pinnedKeyHashes"]
        world.pinned = None if pinned is None else frozenset(pinned)
        clock.set(datetime.fromisoformat(data["clock"]["now"]))
        clock.running = bool(data["clock"]["running"])
        for n, entry in enumerate(data["organizations"]):
            org = world.build_organization(entry["keyHash"], furnish=False)
            with located(f"world.organizations.{n}"):
                org.restore_export(entry)
            world._orgs[entry["keyHash"]] = org
        return world

    def adopt(self, tenant_hash: str, org: Organization) -> None:
        """Serve `org` (built by `build_organization`) for this tenant from now on, replacing any other."""
        self._orgs[tenant_hash] = org

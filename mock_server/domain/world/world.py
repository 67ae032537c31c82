"""The World: every tenant of one mock, keyed by secret key, seeded deterministically, resettable.

Each distinct secret key is its own organization, created (and its consumers generated) on first use,
unless keys are pinned. Keys are never kept: a tenant is known by the SHA-256 of its key, and its
organization id is derived from the seed and that hash. Consumers come from an injected
`consumer_source` (the seeding package), so the domain never touches Faker: generated once per world
(one seed, one size) and shared copy-on-write by every organization, each under ids of its own.
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
#: Organizations a world holds at most by default (unpinned keys; each costs kilobytes, see the README).
DEFAULT_MAX_ORGANIZATIONS = 2_000


class OrganizationLimit(Unauthorized):
    """A new key when the world already holds its `max_organizations` (existing ones keep working)."""

    def __init__(self, limit: int) -> None:
        super().__init__("Organization limit reached")
        self.limit = limit
        self.hint = (
            f"This mock already holds {limit:,} organizations (one per distinct secret key), its "
            f"--max-organizations: use a key it has seen, POST /_mock/reset {{}} to drop them all, "
            f"or restart it with a larger --max-organizations"
        )


ConsumerSource = Callable[[int, int, Progress | None], ConsumerColumns]


def key_hash(secret_key: str) -> str:
    return hashlib.sha256(secret_key.encode("utf-8")).hexdigest()


def organization_id(seed: int, tenant_hash: str) -> str:
    """A UUIDv7-shaped id from the seed and the key's hash (time bits: the default world start)."""
    digest = hashlib.sha256(f"fanfare-mock/organization/{seed}/{tenant_hash}".encode()).digest()
    rand = int.from_bytes(digest[:10], "big")  # 80 bits: 12 + 62 used
    value = (to_millis(DEFAULT_START) << 80) | (0x7 << 76) | ((rand >> 62) & 0xFFF) << 64 | (0b10 << 62)
    value |= rand & ((1 << 62) - 1)
    return str(UUID(int=value))


def consumer_id_mask(organization_id: str) -> int:
    """The 62 bits an organization XORs into the low half of the shared base's consumer ids: ids differ
    between tenants, and keep their UUIDv7 version and variant bits and their order (the high half)."""
    digest = hashlib.sha256(f"fanfare-mock/consumer-ids/{organization_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << 62) - 1)


def no_consumers(seed: int, n: int, progress: Progress | None) -> ConsumerColumns:
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
        max_organizations: int = DEFAULT_MAX_ORGANIZATIONS,
    ) -> None:
        """`max_organizations` bounds the organizations unpinned keys make (pinned `keys` are all served)."""
        self.seed = seed
        self.max_organizations = max_organizations
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
        self._base: ConsumerColumns | None = None  # the generated consumers, shared copy-on-write

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
            if self.pinned is None and len(self._orgs) >= self.max_organizations:
                raise OrganizationLimit(self.max_organizations)
            org = self._orgs[tenant_hash] = self.build_organization(tenant_hash, progress)
        return org

    def existing(self, tenant_hash: str) -> Organization | None:
        """The tenant's organization if it has one already; never creates it."""
        return self._orgs.get(tenant_hash)

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
        if self._base is None:
            self._base = self.consumer_source(self.seed, self.consumers_per_org, progress)
        ids = IdFactory(self.clock, f"{self.seed}:{org_id}")
        consumer_ids = IdFactory(self.clock, f"{self.seed}:{org_id}:consumers")
        table = ConsumerTable(org_id, self.clock, consumer_ids, self._base, consumer_id_mask(org_id))
        catalogue = Catalogue(self.seed, org_id)
        org = Organization(org_id, self.clock, ids, table, f"apikey_{tenant_hash[:12]}", catalogue)
        if furnish and self.on_new is not None:
            self.on_new(tenant_hash, org)
        return org

    # ---- reset and snapshots -----------------------------------------------------------------------
    def reset(self, secret_key: str | None = None) -> list[Organization]:
        """Back to the freshly seeded state, by rebuilding: one tenant (by key), or all and the clock.
        The organizations it replaced, for the caller to let go when it likes (freeing thousands at once
        takes a while)."""
        if secret_key is not None:
            tenant_hash = key_hash(secret_key)
            if self.pinned is not None and tenant_hash not in self.pinned:
                raise Unauthorized("Unknown secret key")
            if tenant_hash not in self._orgs:
                return []
            dropped = [self._orgs[tenant_hash]]
            self._orgs[tenant_hash] = self.build_organization(tenant_hash)
            return dropped
        self.clock.set(self.start)
        self.clock.running = self.start_running
        dropped = list(self._orgs.values())
        self._orgs = {}
        self.warm()
        return dropped

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
        max_organizations: int = DEFAULT_MAX_ORGANIZATIONS,
    ) -> World:
        """Regenerate the consumers from the seed and replay a snapshot's changes onto them; a snapshot
        that is not one this mock could have written is `Invalid` (naming the field) before anything is
        built (`snapshot.check_snapshot`)."""
        check_snapshot(data)
        clock = clock or Clock()
        start = datetime.fromisoformat(data["start"]["now"])
        clock.set(start)
        clock.running = bool(data["start"]["running"])
        world = cls(
            data["seed"],
            data["consumersPerOrganization"],
            clock,
            None,
            consumer_source,
            start,
            max_organizations,
        )
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

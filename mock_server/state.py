"""The mock's state object: the one World the app serves, and how the control plane rebuilds it; next to
it, what is not the world: the fault rules and the request journal.

It is passed into the app (never a module global); reset and re-seed build a fresh World, the way moto
rebuilds its backends, so nothing from before can leak into the new state. Reset also drops the fault
rules (a tenant reset, that tenant's); the journal outlives resets (it records them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mock_server.control import DEFAULT_CAPACITY, DeclaredResponses, FaultBook, Journal
from mock_server.control.upload_grants import UploadGrants
from mock_server.domain.kernel import DEFAULT_START, Clock, Invalid, Issue, Steps, finish
from mock_server.domain.world import DEFAULT_MAX_ORGANIZATIONS, Organization, World, check_snapshot, key_hash
from mock_server.scenarios.book import ScenarioBook
from mock_server.scenarios.source import ScenarioSource
from mock_server.seeding import consumer_source, give_back, trim
from mock_server.web.security import redact

SNAPSHOT_FORMAT = "fanfare-mock/1"
#: A reset lets go of the organizations it dropped this many at a time, serving between slices (an
#: organization holds no reference cycle: freeing is reference counting, about 0.2 ms a demo organization).
RELEASE_SLICE = 100
#: After a reset of more organizations than this, the C heap's free pages go back to the system.
GIVE_BACK_AFTER = 64
#: The in-process client's base URL (`mock_server.client`), for an app nobody gave a public URL.
DEFAULT_PUBLIC_URL = "http://fanfare.test"
Progress = Callable[[str], None]


class MockState:
    def __init__(
        self,
        *,
        seed: int,
        consumers: int,
        keys: Sequence[str] | None = None,
        progress: Progress | None = None,
        journal_size: int = DEFAULT_CAPACITY,
        declared: DeclaredResponses | None = None,
        clock_start: datetime = DEFAULT_START,
        clock_running: bool = False,
        scenarios: Sequence[ScenarioSource] = (),
        warm: bool = True,
        max_organizations: int = DEFAULT_MAX_ORGANIZATIONS,
    ) -> None:
        """`clock_start`/`clock_running`: where the virtual clock starts, frozen or following real time
        (`serve` runs it from the wall clock's now). `scenarios` are loaded in order before the pinned
        organizations are seeded (so a template among them furnishes those too); `warm=False` leaves the
        pinned organizations to their first use (a store's scenarios come later, through its log)."""
        self.keys = None if keys is None else tuple(keys)
        self.max_organizations = max_organizations
        #: The control plane's token (None: open, on a loopback bind); `create_app` sets it.
        self.control_token: str | None = None
        #: Where clients reach the mock (upload URLs are built from it); `create_app` sets the served one.
        self.public_url = DEFAULT_PUBLIC_URL
        self.uploads = UploadGrants()
        self._progress = progress
        self._clock_start, self._clock_running = clock_start, clock_running
        #: the loaded scenarios: what builds the organizations they name, and every new one
        self.scenarios = ScenarioBook()
        #: tenant hash -> the key redacted (`sk_test_…abcd`), for the dashboard; never the key itself
        self.labels: dict[str, str] = {}
        for key in self.keys or ():
            self.labels[key_hash(key)] = redact(key) or ""
        if declared is None:
            import fanfare_spec

            declared = DeclaredResponses([fanfare_spec.load("fanfare"), fanfare_spec.load("mock")])
        self.faults = FaultBook(declared, self.keys)
        self.journal = Journal(journal_size)
        #: The store's replica (`mock_server.store.Replica`) when the world is kept in a log.
        self.replica: Any = None
        self.world = self._build(seed, consumers, warm=warm and not scenarios)
        for source in scenarios:
            self.scenarios.load(self, source)
        if scenarios:
            self._warm(self.world)

    @property
    def clock(self) -> Clock:
        return self.world.clock

    def _build(self, seed: int, consumers: int, *, warm: bool = True) -> World:
        clock = Clock(self._clock_start, running=self._clock_running)
        world = World(seed, consumers, clock, self.keys, consumer_source, None, self.max_organizations)
        self._hook(world)
        if warm:
            self._warm(world)
        return world

    def _warm(self, world: World) -> None:
        """Seed the pinned organizations now, one progress line each, named by its masked key."""
        pinned = sorted(world.pinned or ())
        for n, tenant_hash in enumerate(pinned, 1):
            started = time.monotonic()
            world.organization_for_hash(tenant_hash)
            if self._progress is not None:
                self._progress(
                    f"  organization {n}/{len(pinned)} {self.tenant_label(tenant_hash)}: "
                    f"{world.consumers_per_org:,} consumers seeded in {time.monotonic() - started:.1f} s"
                )

    def tenant_label(self, tenant_hash: str) -> str:
        """How the dashboard names a tenant: its key redacted as the journal shows it, once seen."""
        return self.labels.get(tenant_hash) or f"key {tenant_hash[:12]}…"

    def reset(self, secret_key: str | None = None) -> None:
        if finish(self.reset_steps(secret_key)):
            self.trim()

    def reset_steps(self, secret_key: str | None = None) -> Steps[bool]:
        """`reset`, the dropped organizations let go a slice at a time once it is done (each `next()` one
        slice); whether so many went that `trim` should follow (a server runs it off the loop)."""
        dropped = self.world.reset(secret_key)
        if secret_key is None:
            for tenant_hash in self.scenarios.named:  # what the scenarios named is there from the start
                self.world.organization_for_hash(tenant_hash)
        self.faults.clear(secret_key)
        if secret_key is None:
            self.uploads.clear()  # a rebuilt world reissues the same import ids: old URLs must not fit them
            # the dropped tenants' names go too (kept, they would pin freed memory)
            alive = {tenant_hash for tenant_hash, _ in self.world.organizations()}
            self.labels = {h: label for h, label in self.labels.items() if h in alive}
        self._forget_uploads(dropped, secret_key)
        many = len(dropped) > GIVE_BACK_AFTER
        while dropped:
            del dropped[-RELEASE_SLICE:]
            if dropped:
                yield
        return many

    def _forget_uploads(self, dropped: list[Organization], secret_key: str | None) -> None:
        """The scenario CSVs kept for the dropped organizations' imports go with them (kept, every
        stranger's furnished organization would leave its own behind for the life of the process)."""
        uploads = self.scenarios.uploads
        if not uploads or not dropped:
            return
        if secret_key is None:
            kept = {i for _, org in self.world.organizations() for i in org.imports.import_ids()}
        else:  # its rebuilt organization (the same ids, the same seed)
            kept = set(self.world.organization_for_key(secret_key).imports.import_ids())
        for org in dropped:
            for import_id in org.imports.import_ids() - kept:
                uploads.pop(import_id, None)

    def trim(self) -> None:
        """Hand the C heap's free pages back to the system (after a large reset)."""
        trim()

    def reseed(self, seed: int, consumers: int | None = None) -> None:
        consumers = self.world.consumers_per_org if consumers is None else consumers
        self.scenarios.uploads.clear()  # the old world's scenario CSVs go with it
        self.world = self._build(seed, consumers, warm=False)  # the old world is let go before seeding
        self._warm(self.world)
        self.uploads = UploadGrants()  # a new object, not cleared: a failed scenario load puts the old back
        give_back()

    def export(self, secret_key: str | None = None, *, deferred: bool = False) -> dict[str, Any]:
        """The whole world, or (with a key) a world holding that tenant's organization only; `deferred`
        leaves the changed consumers as `ChangedRows` to render off the event loop."""
        only = None if secret_key is None else key_hash(secret_key)
        return {"format": SNAPSHOT_FORMAT, "world": self.world.export(only, deferred=deferred)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        world = snapshot["world"]
        check_snapshot(world)  # before the pinned keys are compared: a malformed list is named as such
        pinned = None if self.keys is None else sorted(key_hash(k) for k in self.keys)
        if world.get("pinnedKeyHashes") != pinned:
            raise Invalid(
                "The snapshot's pinned keys are not this mock's --keys: start it with the same --keys",
                (Issue("world.pinnedKeyHashes", "differs from the server's --keys"),),
            )
        self.world = World.from_snapshot(world, consumer_source, None, self.max_organizations)
        self.uploads.clear()
        self._hook(self.world)
        give_back()

    def _hook(self, world: World) -> None:
        world.on_new = self.scenarios.furnish
        world.on_key = self._name_tenant

    def _name_tenant(self, tenant_hash: str, secret_key: str) -> None:
        self.labels[tenant_hash] = redact(secret_key) or tenant_hash[:12]

    def forget_scenarios(self) -> None:
        """No scenario any more (organizations built from now on start empty); for a shared live mock."""
        self.scenarios = ScenarioBook(self.scenarios.wall)
        self._hook(self.world)

"""The mock's state object: the one World the app serves, and how the control plane rebuilds it; next to
it, what is not the world: the fault rules and the request journal.

It is passed into the app (never a module global); reset and re-seed build a fresh World, the way moto
rebuilds its backends, so nothing from before can leak into the new state. Reset also drops the fault
rules (a tenant reset, that tenant's); the journal outlives resets (it records them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mock_server.control import DEFAULT_CAPACITY, DeclaredResponses, FaultBook, Journal
from mock_server.control.upload_grants import UploadGrants
from mock_server.domain.kernel import Clock, Invalid, Issue
from mock_server.domain.world import World, key_hash
from mock_server.seeding import consumer_source

SNAPSHOT_FORMAT = "fanfare-mock/1"
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
    ) -> None:
        self.keys = None if keys is None else tuple(keys)
        #: The control plane's token (None: open, on a loopback bind); `create_app` sets it.
        self.control_token: str | None = None
        #: Where clients reach the mock (upload URLs are built from it); `create_app` sets the served one.
        self.public_url = DEFAULT_PUBLIC_URL
        self.uploads = UploadGrants()
        self._progress = progress
        self.world = self._build(seed, consumers)
        if declared is None:
            import fanfare_spec

            declared = DeclaredResponses([fanfare_spec.load("fanfare"), fanfare_spec.load("mock")])
        self.faults = FaultBook(declared, self.keys)
        self.journal = Journal(journal_size)
        #: The store's replica (`mock_server.store.Replica`) when the world is kept in a log.
        self.replica: Any = None

    @property
    def clock(self) -> Clock:
        return self.world.clock

    def _build(self, seed: int, consumers: int) -> World:
        world = World(seed, consumers, Clock(), self.keys, consumer_source)
        world.warm(self._seeding_progress())
        return world

    def _seeding_progress(self) -> Callable[[int, int], None] | None:
        say = self._progress
        if say is None:
            return None

        def report(done: int, total: int) -> None:
            say(f"  seeding consumers: {done:,}/{total:,}")

        return report

    def reset(self, secret_key: str | None = None) -> None:
        self.world.reset(secret_key)
        self.faults.clear(secret_key)
        if secret_key is None:
            self.uploads.clear()  # a rebuilt world reissues the same import ids: old URLs must not fit them

    def reseed(self, seed: int, consumers: int | None = None) -> None:
        self.world = self._build(seed, self.world.consumers_per_org if consumers is None else consumers)
        self.uploads.clear()

    def export(self, secret_key: str | None = None) -> dict[str, Any]:
        """The whole world, or (with a key) a world holding that tenant's organization only."""
        only = None if secret_key is None else key_hash(secret_key)
        return {"format": SNAPSHOT_FORMAT, "world": self.world.export(only)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        world = snapshot["world"]
        pinned = None if self.keys is None else sorted(key_hash(k) for k in self.keys)
        if world.get("pinnedKeyHashes") != pinned:
            raise Invalid(
                "The snapshot's pinned keys are not this mock's --keys: start it with the same --keys",
                (Issue("world.pinnedKeyHashes", "differs from the server's --keys"),),
            )
        self.world = World.from_snapshot(world, consumer_source)
        self.uploads.clear()

"""The scenarios a mock has loaded: which organization each one builds, and the template (`key: "*"`)
every new organization gets. The World calls `furnish` whenever it builds an organization (first use, or
a reset), so a reset returns an organization to what its scenario made of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mock_server.control import Fault
from mock_server.domain.kernel import isoformat
from mock_server.domain.world import Organization
from mock_server.scenarios.builder import (
    EVERY_NEW,
    Counts,
    Entry,
    at_clock,
    check_keys,
    furnish,
    organization_hash,
)
from mock_server.scenarios.source import ScenarioSource
from mock_server.scenarios.times import resolve
from mock_server.seeding import give_back
from mock_server.web.security import redact

if TYPE_CHECKING:
    from mock_server.state import MockState

WallClock = Callable[[], datetime]


def wall_clock() -> datetime:
    """The real now, for `clock: real` (the domain never reads it; this shell-side module may)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Loaded:
    organizations: int
    audiences: int
    experiences: int
    faults: int
    now: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "organizations": self.organizations,
            "audiences": self.audiences,
            "experiences": self.experiences,
            "faults": self.faults,
            "now": isoformat(self.now),
        }


class ScenarioBook:
    def __init__(self, wall: WallClock = wall_clock) -> None:
        self.wall = wall
        self.named: dict[str, Entry] = {}  # tenant hash -> the scenario organization that builds it
        self.templates: tuple[Entry, ...] = ()
        self.uploads: dict[str, str] = {}  # import id -> the CSV a scenario uploaded (for the export)

    def furnish(self, tenant_hash: str, org: Organization) -> None:
        """The World's hook for a freshly built organization."""
        entry = self.named.get(tenant_hash)
        for item in (entry,) if entry is not None else self.templates:
            furnish(org, item, self.uploads)

    def dump(self) -> dict[str, Any]:
        """What the book holds, as JSON (a store's snapshot keeps it next to the world)."""
        sources: list[ScenarioSource] = []

        def ref(entry: Entry) -> list[int]:
            for i, known in enumerate(sources):
                if known is entry.source:
                    return [i, entry.index]
            sources.append(entry.source)
            return [len(sources) - 1, entry.index]

        named = {tenant: ref(entry) for tenant, entry in self.named.items()}
        templates = [ref(entry) for entry in self.templates]
        return {
            "sources": [{"name": s.name, "data": s.data} for s in sources],
            "named": named,
            "templates": templates,
            "uploads": dict(self.uploads),
        }

    def restore(self, dumped: dict[str, Any]) -> None:
        """Hold what `dump` wrote (in place: the World's hook stays this book's `furnish`)."""
        sources = [ScenarioSource(s["name"], s["data"]) for s in dumped["sources"]]
        self.named = {tenant: Entry(sources[i], index) for tenant, (i, index) in dumped["named"].items()}
        self.templates = tuple(Entry(sources[i], index) for i, index in dumped["templates"])
        self.uploads = dict(dumped["uploads"])

    def load(self, state: MockState, source: ScenarioSource) -> Loaded:
        """Load one scenario into `state`, all or nothing."""
        data = source.data
        entries = [Entry(source, i) for i in range(len(data.get("organizations") or ()))]
        check_keys(entries, state.keys)
        old_world, old_named, old_templates = state.world, dict(self.named), self.templates
        old_grants, old_uploads = state.uploads, dict(self.uploads)
        added: list[int] = []
        undo_clock: Callable[[], None] | None = None
        templates = tuple(e for e in entries if e.spec.get("key") == EVERY_NEW)
        named = [e for e in entries if e.spec.get("key") != EVERY_NEW]
        try:
            if templates:  # first: a re-seed below builds the pinned organizations from them
                self.templates = templates
            seed, consumers = data.get("seed"), data.get("consumers")
            if (seed is not None and seed != state.world.seed) or (
                consumers is not None and consumers != state.world.consumers_per_org
            ):
                state.reseed(state.world.seed if seed is None else seed, consumers)
            now, running = self._clock(source)
            undo_clock = at_clock(state.world, now, running)
            built: list[tuple[str, Organization]] = []
            total = Counts()
            for entry in named:
                tenant = organization_hash(entry)
                self.named[tenant] = entry
                org = state.world.build_organization(tenant)  # calls furnish() through the hook
                built.append((tenant, org))
                counts = entry.counts()
                total = Counts(
                    total.organizations + 1,
                    total.audiences + counts.audiences,
                    total.experiences + counts.experiences,
                )
            for i, rule in enumerate(data.get("faults") or ()):
                with_path = ("faults", i)
                try:
                    added.append(state.faults.add(Fault.from_request(rule)).id)
                except Exception as error:  # the FaultBook's Invalid, at the rule's line
                    raise source.error(with_path, getattr(error, "message", str(error))) from None
        except BaseException:
            for rule_id in added:
                state.faults.remove(rule_id)
            self.named, self.templates, self.uploads = old_named, old_templates, old_uploads
            if state.world is not old_world:  # reseeded: the old world and its upload URLs come back
                state.world, state.uploads = old_world, old_grants
                give_back()  # the reseed froze the world it built: let it go
            elif undo_clock is not None:
                undo_clock()
            raise
        if now is not None or running is not None:  # a reset comes back to the scenario's clock
            state.world.start, state.world.start_running = state.clock.now(), state.clock.running
        for tenant, org in built:
            state.world.adopt(tenant, org)
        for entry in named:
            if "key" in entry.spec:
                state.labels[organization_hash(entry)] = redact(entry.spec["key"]) or ""
        return Loaded(total.organizations, total.audiences, total.experiences, len(added), state.clock.now())

    def _clock(self, source: ScenarioSource) -> tuple[datetime | None, bool | None]:
        clock = source.data.get("clock")
        if clock is None:
            return None, None
        if isinstance(clock, str):
            clock = {"now": clock, "running": clock == "real"}
        now_text = clock.get("now")
        running = clock.get("running")
        if now_text is None:
            return None, running
        if now_text == "real":
            return self.wall(), True if running is None else running
        try:
            return resolve(now_text, self.wall()), False if running is None else running
        except ValueError as error:
            raise source.error(("clock",), str(error)) from None

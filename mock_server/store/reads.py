"""Which calls are pure reads, answered from the worker's own replica without a command.

A read is pure only when it cannot change the world: the domain moves some things when they are looked
at (an `afterReads` job counts the read, a stale dynamic audience is materialized on read, a new key's
organization is created on first use), so a read of a tenant with any of those pending is a command
like a write. Everything not listed here as a read is a command, so a new operation is safe by default.
"""

from __future__ import annotations

from typing import Any

from mock_server.domain.world import Organization, key_hash
from mock_server.web.calls import Call

#: Control-plane operations that read (the journal is each worker's own: see ARCHITECTURE.md).
CONTROL_READS = frozenset(
    {
        "getMockHealth",
        "getMockClock",
        "getMockState",
        "getOpenapiJson",
        "getMockOpenapiJson",
        "getMockFaults",
        "getMockJournal",
        "deleteMockJournal",
    }
)


def may_read(call: Call) -> bool:
    """True when the operation is a read at all (a write is always a command)."""
    operation = call.operation
    if operation.family == "mock":
        return operation.operation_id in CONTROL_READS
    return operation.method == "GET"


class QuietTenants:
    """Answers "is this read pure?" after catch-up. Nothing but a command changes a replica, so an
    answer holds until the next command is applied (`version`)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[Any, bool]] = {}

    def pure(self, call: Call, version: Any) -> bool:
        state: Any = call.state
        if call.operation.family == "mock":
            return True
        if state.faults.rules:
            return False  # a rule's remaining count is shared state: every matching call moves it
        key = call.secret_key
        if key is None:
            return False
        world = state.world
        tenant = key_hash(key)
        org: Organization | None = world.existing(tenant)
        if org is None:
            # A pinned world refuses the key (the handler's 401, no change); otherwise first use creates it.
            return world.pinned is not None and tenant not in world.pinned
        known = self._known.get(org.id)
        if known is not None and known[0] == version:
            return known[1]
        quiet = _quiet(org)
        self._known[org.id] = (version, quiet)
        return quiet


def _quiet(org: Organization) -> bool:
    if any(job.active for job in org.jobs.jobs()):
        return False
    # a running clock makes refresh intervals come due between commands
    return not org.audiences.refreshes_on_read(clock_running=org.clock.running)

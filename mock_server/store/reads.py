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


#: Reads that look at one audience only (its record and set, its imports' and sync source's jobs), so
#: one hot audience does not make every read of its tenant a command: `tests/store/test_reads.py` runs
#: each against a tenant whose other audiences are all hot and checks the world did not move.
AUDIENCE_READS = frozenset(
    {
        "getV1AudiencesByAudienceId",
        "getAudiencesByAudienceId",
        "getV1AudiencesByAudienceIdMembers",
        "getAudiencesByAudienceIdMembers",
        "getV1AudiencesByAudienceIdCount",
        "getAudiencesByAudienceIdCount",
        "getV1AudiencesByAudienceIdStatus",
        "getAudiencesByAudienceIdStatus",
    }
)


class QuietTenants:
    """Answers "is this read pure?" after catch-up. Nothing but a command changes a replica, so an
    answer holds until the next command is applied (`version`)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str | None], tuple[Any, bool]] = {}

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
        scope = call.path_params.get("audienceId") if call.operation.operation_id in AUDIENCE_READS else None
        if scope is not None and not isinstance(scope, str):
            scope = None
        known = self._known.get((org.id, scope))
        if known is not None and known[0] == version:
            return known[1]
        quiet = _quiet(org) if scope is None else _quiet_audience(org, scope)
        if len(self._known) > 10_000:
            self._known.clear()  # one entry per tenant and audience read: bounded, cheap to rebuild
        self._known[(org.id, scope)] = (version, quiet)
        return quiet


def _quiet(org: Organization) -> bool:
    if any(job.active for job in org.jobs.jobs()):
        return False
    # a running clock makes refresh intervals come due between commands
    return not org.audiences.refreshes_on_read(clock_running=org.clock.running)


def _quiet_audience(org: Organization, audience_id: str) -> bool:
    """What an audience read looks at: the audience (materialized when stale), the jobs of its imports
    and of its sync source (a look moves them). An unknown audience is a 404 that changes nothing."""
    if org.audiences.refreshes_on_read(clock_running=org.clock.running, audience_id=audience_id):
        return False
    jobs = [record.job_id for record in org.imports.for_audience(audience_id)]
    source = org.sync.source_for(audience_id)
    if source is not None:
        jobs.append(source.job_id)
    return not any(org.jobs.get(job).active for job in jobs if job is not None)

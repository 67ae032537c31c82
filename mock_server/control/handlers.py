"""Control-plane handlers (`/_mock`): health, reset, seed, clock, state export and import, jobs, fault
rules, the journal, and the documents."""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

import orjson

import fanfare_spec
from mock_server.control.access import CONTROL_COOKIE, Access, access_of, own_key
from mock_server.control.fault import Fault
from mock_server.control.faults import FaultBook, FaultRule
from mock_server.control.journal import Journal
from mock_server.control.journal_query import JournalQuery
from mock_server.control.redaction import key_tag
from mock_server.domain.consumers import ChangedRows
from mock_server.domain.imports import ForcedOutcome, JobBoard, JobKind, Progression, RowError
from mock_server.domain.kernel import Clock, Invalid, Issue, NotFound, Steps, in_range, isoformat
from mock_server.domain.world import World
from mock_server.web.calls import Call, Reply
from mock_server.web.slices import sliced


class ControlState(Protocol):
    """What these handlers read and steer on the app's state (`call.state`, the app's `MockState`)."""

    @property
    def world(self) -> World: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def keys(self) -> tuple[str, ...] | None: ...
    @property
    def faults(self) -> FaultBook: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def control_token(self) -> str | None: ...
    def reset(self, secret_key: str | None = None) -> None: ...
    def reset_steps(self, secret_key: str | None = None) -> Steps[bool]: ...
    def trim(self) -> None: ...
    def reseed(self, seed: int, consumers: int | None = None) -> None: ...
    def export(self, secret_key: str | None = None, *, deferred: bool = False) -> dict[str, Any]: ...
    def restore(self, snapshot: dict[str, Any]) -> None: ...


def _state(call: Call) -> ControlState:
    return call.state  # type: ignore[no-any-return]


def _clock_reply(state: ControlState) -> Reply:
    return Reply(200, {"now": isoformat(state.clock.now()), "running": state.clock.running})


async def health(call: Call) -> Reply:
    world = _state(call).world
    return Reply(
        200,
        {
            "status": "ok",
            "seed": world.seed,
            "consumersPerOrganization": world.consumers_per_org,
            "organizations": len(world.organizations()),
        },
    )


async def reset(call: Call) -> Reply:
    key = own_key(access_of(call), (call.body or {}).get("secretKey"))
    state = _state(call)
    if key is not None and state.keys is not None and key not in state.keys:
        raise Invalid(
            "Unknown secret key: the mock only accepts its --keys", (Issue("secretKey", "not pinned"),)
        )
    if await sliced(state.reset_steps(key)):
        await asyncio.to_thread(state.trim)  # the C heap's free pages back to the system, off the loop
    if key is None:
        return Reply(200, {"reset": "all"})
    return Reply(200, {"reset": "tenant", "organizationId": state.world.organization_for_key(key).id})


async def seed(call: Call) -> Reply:
    state = _state(call)
    state.reseed(call.body["seed"], call.body.get("consumers"))
    return Reply(200, {"seed": state.world.seed, "consumersPerOrganization": state.world.consumers_per_org})


async def get_clock(call: Call) -> Reply:
    return _clock_reply(_state(call))


async def set_clock(call: Call) -> Reply:
    state, body = _state(call), call.body
    if "now" in body and "advanceSeconds" in body:
        raise Invalid(
            "Give now or advanceSeconds, not both", (Issue("advanceSeconds", "conflicts with now"),)
        )
    # the whole request is checked before anything moves, so a refused one changes nothing
    target = None
    if "now" in body:
        instant = datetime.fromisoformat(body["now"].replace("Z", "+00:00").replace("z", "+00:00"))
        if instant.tzinfo is None:
            raise Invalid("now needs a UTC offset", (Issue("now", "add Z or an offset"),))
        target = in_range(instant)
    if "advanceSeconds" in body:
        target = state.clock.advanced(float(body["advanceSeconds"]))
    if target is not None:
        state.clock.set(target)
    if "running" in body:
        state.clock.run() if body["running"] else state.clock.freeze()
    return _clock_reply(state)


async def export_state(call: Call) -> Reply:
    # Taken now (a copy of the changed consumers' columns: milliseconds), rendered and serialized in a
    # thread: a large export does not hold the event loop for the seconds its JSON takes.
    snapshot = _state(call).export(access_of(call).tenant, deferred=True)
    body, encoded = await asyncio.to_thread(_render, snapshot)
    return Reply(200, body, encoded=encoded)


def _render(snapshot: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    for organization in snapshot["world"]["organizations"]:
        consumers = organization["consumers"]
        if isinstance(consumers["changed"], ChangedRows):
            consumers["changed"] = consumers["changed"].render()
    return snapshot, orjson.dumps(snapshot)


async def import_state(call: Call) -> Reply:
    state = _state(call)
    try:
        state.restore(call.body)
    except (KeyError, TypeError, ValueError, IndexError, OverflowError, AttributeError) as problem:
        raise Invalid(
            f"Not a snapshot this mock can restore: {problem}", (Issue("world", str(problem)),)
        ) from None
    return Reply(200, {"restored": True, "organizations": len(state.world.organizations())})


async def admin_document(call: Call) -> Reply:
    return Reply(200, fanfare_spec.load("fanfare"))


async def mock_document(call: Call) -> Reply:
    return Reply(200, fanfare_spec.load("mock"))


def _jobs(call: Call) -> JobBoard:
    key = own_key(access_of(call), call.body["secretKey"])
    assert key is not None
    state = _state(call)
    if state.keys is not None and key not in state.keys:
        raise Invalid(
            "Unknown secret key: the mock only accepts its --keys", (Issue("secretKey", "not pinned"),)
        )
    return state.world.organization_for_key(key).jobs


async def set_progression(call: Call) -> Reply:
    kind, body = JobKind(call.path_params["kind"]), call.body
    mode = body["mode"]
    if mode == "afterReads":
        progression = Progression.after_reads(int(body.get("reads", 2)))
    elif mode == "afterSeconds":
        progression = Progression.after_seconds(float(body.get("seconds", 60)))
    else:
        progression = Progression.immediate()
    _jobs(call).set_progression(kind, progression)
    return Reply(200, {"kind": kind.value, **progression.to_json()})


async def force_outcome(call: Call) -> Reply:
    return queue_outcome(_jobs(call), call)


def queue_outcome(jobs: JobBoard, call: Call) -> Reply:
    """Queue the outcome `call` asks for (`{outcome, reason, rowErrors}`) for `jobs`' next job of the kind."""
    kind, body = JobKind(call.path_params["kind"]), call.body
    errors = tuple(RowError(e["row"], tuple(e["issues"])) for e in body.get("rowErrors", ()))
    if body["outcome"] == "fail":
        outcome = ForcedOutcome.failure(errors, body.get("reason") or "Forced failure")
    else:
        outcome = ForcedOutcome.partial(errors)
    jobs.force_next(kind, outcome)
    return Reply(200, {"queued": len(jobs.forced_queue(kind))})


async def add_fault(call: Call) -> Reply:
    fault = Fault.from_request(call.body)
    rule = _state(call).faults.add(replace(fault, key=own_key(access_of(call), fault.key)))
    return Reply(201, rule.to_json())


def _visible(call: Call, access: Access) -> list[FaultRule]:
    """Every rule for the owner; a tenant sees (and may remove) only the rules scoped to it."""
    rules = _state(call).faults.rules
    if access.tenant is None:
        return list(rules)
    return [rule for rule in rules if rule.key_tag == key_tag(access.tenant)]


async def list_faults(call: Call) -> Reply:
    return Reply(200, {"faults": [rule.to_json() for rule in _visible(call, access_of(call))]})


async def clear_faults(call: Call) -> Reply:
    return Reply(200, {"removed": _state(call).faults.clear(access_of(call).tenant)})


async def remove_fault(call: Call) -> Reply:
    rule_id = call.path_params["faultId"]
    mine = any(rule.id == rule_id for rule in _visible(call, access_of(call)))
    if not mine or not _state(call).faults.remove(rule_id):
        raise NotFound("Fault rule", str(rule_id))
    return Reply(200, {"removed": 1})


async def query_journal(call: Call) -> Reply:
    journal = _state(call).journal
    query = JournalQuery.from_request(call.query)
    entries = journal.entries(replace(query, key=own_key(access_of(call), query.key)))
    return Reply(
        200,
        {
            "entries": [entry.to_json() for entry in entries],
            "latestSeq": journal.latest_seq,
            "capacity": journal.capacity,
            "dropped": journal.dropped,
        },
    )


async def clear_journal(call: Call) -> Reply:
    return Reply(200, {"removed": _state(call).journal.clear()})


async def login(call: Call) -> Reply:
    """The browser's way in: the token as an HttpOnly, SameSite=Strict cookie, then the dashboard."""
    token = _state(call).control_token
    headers = {"Location": "/_mock/"}
    if token is not None:
        if not hmac.compare_digest(str(call.query["token"]).encode(), token.encode()):
            return Reply(401, {"error": "Wrong control token"}, headers={"WWW-Authenticate": "Bearer"})
        headers["Set-Cookie"] = f"{CONTROL_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    return Reply(303, None, headers=headers)

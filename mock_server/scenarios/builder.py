"""Building what a scenario describes, through the same domain calls the Admin API's handlers make (the
guide dialect's inputs, checked by the Admin API's own request validators), so a scenario gives exactly
the world those API calls would give. A scenario that fails leaves the world as it was."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import jsonschema_rs

import fanfare_spec
from mock_server.domain.audiences import AudienceType, create_tier_group
from mock_server.domain.experiences import ExperienceSpec
from mock_server.domain.imports import ForcedOutcome, ImportStatus, JobKind, Progression, run_import
from mock_server.domain.kernel import Invalid
from mock_server.domain.kernel.errors import DomainError
from mock_server.domain.sync import Vendor
from mock_server.domain.world import (
    ImportedMembers,
    Organization,
    World,
    key_hash,
)
from mock_server.scenarios.source import Path, ScenarioError, ScenarioSource, dotted
from mock_server.scenarios.times import resolve
from mock_server.views.guide import GUIDE

#: A scenario organization with this key is a template: applied to every organization made afterwards.
EVERY_NEW = "*"

#: The Admin API request bodies a scenario's entries are (guide dialect), by where the API takes them.
_BODY = "/post/requestBody/content/application~1json/schema"
_BODIES = {
    "audience": "/paths/~1api~1v1~1audiences" + _BODY,
    "tierGroup": "/paths/~1api~1v1~1audiences~1loyalty-tiers" + _BODY,
    "experience": "/paths/~1api~1v1~1experiences" + _BODY,
}
#: Scenario-only fields of an audience entry (the rest is the API's create body).
_AUDIENCE_EXTRAS = ("members", "imports")
_MEMBER_COLUMNS = ("email", "phone", "externalId", "fullName", "firstName", "lastName", "loyaltyPoints")


@dataclass(frozen=True, slots=True)
class Counts:
    organizations: int = 0
    audiences: int = 0
    experiences: int = 0


@dataclass(frozen=True, slots=True)
class Entry:
    """One organization of one scenario: where it is (for errors) and what it says."""

    source: ScenarioSource
    index: int

    @property
    def path(self) -> Path:
        return ("organizations", self.index)

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.source.data["organizations"][self.index]  # type: ignore[no-any-return]

    def counts(self) -> Counts:
        """What it makes, counted from what it says (reading the world could refresh audiences)."""
        spec = self.spec
        tiers = sum(len(group["tiers"]) for group in spec.get("tierGroups") or ())
        audiences = len(spec.get("audiences") or ()) + tiers + len(spec.get("syncedLists") or ())
        return Counts(1, audiences, len(spec.get("experiences") or ()))


def furnish(org: Organization, entry: Entry, uploads: dict[str, str]) -> None:
    """Make everything `entry` describes in the freshly seeded `org`. Raises ScenarioError (with lines).

    `uploads` receives the CSV of each import it uploads (by import id), so an export can say it again.
    """
    spec, path = entry.spec, entry.path
    modules = org
    with _located(entry.source, (*path, "progression")):
        for kind in JobKind:
            policy = (spec.get("progression") or {}).get(kind.value)
            if policy is not None:
                modules.jobs.set_progression(kind, progression_of(policy))
    for i, audience in enumerate(spec.get("audiences") or ()):
        _audience(org, modules, entry.source, (*path, "audiences", i), audience, uploads)
    for i, group in enumerate(spec.get("tierGroups") or ()):
        where = (*path, "tierGroups", i)
        _check_body(entry.source, where, "tierGroup", group)
        with _located(entry.source, where):
            create_tier_group(org, GUIDE.tier_group_input(group))
    for i, synced in enumerate(spec.get("syncedLists") or ()):
        _synced_list(modules, entry.source, (*path, "syncedLists", i), synced)
    now = org.clock.now()
    for i, experience in enumerate(spec.get("experiences") or ()):
        where = (*path, "experiences", i)
        body = dict(experience)
        for field in ("openAt", "closeAt"):
            if field in body:
                with _located(entry.source, (*where, field)):
                    body[field] = resolve(body[field], now).isoformat().replace("+00:00", "Z")
        _check_body(entry.source, where, "experience", body)
        with _located(entry.source, where):
            modules.experiences.create(ExperienceSpec.parse_request(body), created_by=org.actor)
    # Settle now what a first read would (dynamic audiences made stale by consumers added later are
    # materialized again), so reading the world afterwards, an export included, changes nothing.
    org.audiences.live()


def progression_of(policy: Mapping[str, Any]) -> Progression:
    mode = policy["mode"]
    if mode == "afterReads":
        return Progression.after_reads(int(policy.get("reads", 2)))
    if mode == "afterSeconds":
        return Progression.after_seconds(float(policy.get("seconds", 60)))
    return Progression.immediate()


def organization_hash(entry: Entry) -> str:
    spec = entry.spec
    return key_hash(spec["key"]) if "key" in spec else str(spec["keyHash"])


def check_keys(entries: Sequence[Entry], pinned: Sequence[str] | None) -> None:
    """Each organization named once; with pinned `--keys`, only those (a scenario cannot lift the pin)."""
    seen: dict[str, Path] = {}
    allowed = None if pinned is None else {key_hash(k) for k in pinned}
    for entry in entries:
        if entry.spec.get("key") == EVERY_NEW:
            continue
        tenant = organization_hash(entry)
        if tenant in seen:
            raise entry.source.error(
                entry.path, f"this organization is already named at {dotted(seen[tenant])}"
            )
        seen[tenant] = entry.path
        if allowed is not None and tenant not in allowed:
            raise entry.source.error((*entry.path, "key"), "not one of the mock's --keys")


# ---- audiences ---------------------------------------------------------------------------------------------


def _audience(
    org: Organization,
    modules: Organization,
    source: ScenarioSource,
    where: Path,
    audience: Mapping[str, Any],
    uploads: dict[str, str],
) -> None:
    body = {k: v for k, v in audience.items() if k not in _AUDIENCE_EXTRAS}
    _check_body(source, where, "audience", body)
    is_static = body["type"] == AudienceType.STATIC.value
    for extra in _AUDIENCE_EXTRAS:
        if extra in audience and not is_static:
            raise source.error((*where, extra), f"only a STATIC list has {extra}")
    if body["type"] == AudienceType.DYNAMIC.value and not body.get("rules"):
        raise source.error(where, "a DYNAMIC audience needs rules")
    with _located(source, where):
        created = org.audiences.create(GUIDE.create_input(body))
    # Imports first, then the listed members: an export lists every member (those an import added too),
    # and listing a member that exists already changes nothing.
    for i, item in enumerate(audience.get("imports") or ()):
        _import(org, modules, source, (*where, "imports", i), created.id, item, uploads)
    members = audience.get("members")
    if isinstance(members, str):
        wanted = int(members.split()[0])
        available = len(org.consumers)
        if wanted > available:
            raise source.error((*where, "members"), f"only {available} seeded consumers to pick from")
        org.members.add_positions(created.id, list(range(wanted)))
    elif members:
        _add_listed_members(org, modules, source, (*where, "members"), created.id, members)


def _add_listed_members(
    org: Organization,
    modules: Organization,
    source: ScenarioSource,
    where: Path,
    audience_id: str,
    members: Sequence[Any],
) -> None:
    """A member that exists (by email, then phone, then externalId) is added as it is; the others are the
    rows of a CSV with those columns, run through the CSV importer (which creates them)."""
    directory = modules.consumers
    known: list[int] = []
    rows = []
    for member in members:
        row = {"email": member} if isinstance(member, str) else member
        position = _existing(directory, row)
        if position is None:
            rows.append(row)
        else:
            known.append(position)
    org.members.add_positions(audience_id, known)
    if not rows:
        return
    columns = [c for c in _MEMBER_COLUMNS if any(c in row for row in rows)]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    data = text.getvalue().encode("utf-8")
    outcome = run_import(lambda: iter((data,)), directory, ImportedMembers(org.members, audience_id))
    if outcome.failure_reason is not None:
        raise source.error(where, outcome.failure_reason)
    if outcome.errors:
        first = outcome.errors[0]
        row = rows[first.row - 2] if first.row >= 2 else None  # row 1 is the header
        index = (
            next((i for i, m in enumerate(members) if m is row or m == row.get("email")), None)
            if row
            else None
        )
        raise source.error(where if index is None else (*where, index), "; ".join(first.issues))


def _existing(directory: Any, row: Mapping[str, Any]) -> int | None:
    for column, lookup in (
        ("email", directory.index_of_email),
        ("phone", directory.index_of_phone),
        ("externalId", directory.index_of_external_id),
    ):
        value = row.get(column)
        if value:
            position = lookup(value)
            if position is not None:
                return int(position)
    return None


def _import(
    org: Organization,
    modules: Organization,
    source: ScenarioSource,
    where: Path,
    audience_id: str,
    item: Mapping[str, Any],
    uploads: dict[str, str],
) -> None:
    status = ImportStatus(item["status"])
    record = modules.imports.create(audience_id, created_by=org.actor)
    if status is ImportStatus.PENDING:
        if "csv" in item:
            raise source.error((*where, "csv"), "a PENDING import has nothing uploaded yet (no csv)")
        return
    if "csv" not in item:
        raise source.error(where, f"a {status.value} import needs the csv that was uploaded")
    if "reason" in item and status is not ImportStatus.FAILED:
        raise source.error((*where, "reason"), "only a FAILED import has a reason")
    data = item["csv"].encode("utf-8")
    uploads[record.id] = item["csv"]
    jobs = modules.jobs
    policy = jobs.progression(JobKind.IMPORT)
    if status is ImportStatus.PROCESSING and policy.to_json()["mode"] == "immediate":
        raise source.error(where, "the tenant's imports progress immediately: none can still be PROCESSING")
    if status is ImportStatus.FAILED:
        jobs.force_next(JobKind.IMPORT, ForcedOutcome.failure((), item.get("reason") or "Import failed"))
    with _located(source, where), _policy(modules, JobKind.IMPORT, status is not ImportStatus.PROCESSING):
        record = modules.imports.upload(
            record.id,
            lambda: iter((data,)),
            modules.consumers,
            ImportedMembers(org.members, audience_id),
            updated_by=org.actor,
        )
    if status is ImportStatus.PROCESSING and policy.to_json()["mode"] == "afterReads":
        record = modules.imports.observe(record.id)  # one read in: started, not finished
    if status is not ImportStatus.PROCESSING and record.status is not status:
        reason = record.failure_reason or "it did not"
        raise source.error((*where, "csv"), f"this CSV does not give a {status.value} import: {reason}")


# ---- synced lists ------------------------------------------------------------------------------------------


def _synced_list(modules: Organization, source: ScenarioSource, where: Path, item: Mapping[str, Any]) -> None:
    vendor = Vendor(item.get("vendor", Vendor.KLAVIYO.value))
    status = item.get("status", "SUCCESS")
    if "reason" in item and status != "FAILED":
        raise source.error((*where, "reason"), "only a FAILED sync has a reason")
    if status == "FAILED":
        modules.jobs.force_next(JobKind.SYNC, ForcedOutcome.failure((), item.get("reason") or "Sync failed"))
    with _located(source, where), _policy(modules, JobKind.SYNC, status != "PENDING"):
        result = modules.sync.import_lists(
            vendor, [item["listId"]], modules.sync_host, created_by=modules.actor
        )
        if result.skipped:
            raise source.error((*where, "listId"), f"{item['listId']}: {result.skipped[0].reason}")
        audience_id = result.imported[0].audience_id
        if status != "PENDING":
            modules.sync.refresh(audience_id, modules.sync_host)


@contextmanager
def _policy(modules: Organization, kind: JobKind, finish_now: bool) -> Iterator[None]:
    """Run a job that must be over at once under `immediate` (a job keeps the policy it started with)."""
    if not finish_now:
        yield
        return
    jobs = modules.jobs
    before = jobs.progression(kind) if jobs.has_progression(kind) else None
    jobs.set_progression(kind, Progression.immediate())
    try:
        yield
    finally:
        jobs.set_progression(kind, before)


# ---- checks and errors -------------------------------------------------------------------------------------


@contextmanager
def _located(source: ScenarioSource, where: Path) -> Iterator[None]:
    """A domain refusal becomes a ScenarioError at the entry's line (with the domain's field paths)."""
    try:
        yield
    except ScenarioError:
        raise
    except Invalid as error:
        issues = "; ".join(f"{i.field}: {i.message}" if i.field else i.message for i in error.issues)
        detail = issues if issues and issues != error.message else ""
        raise source.error(where, error.message + (f" ({detail})" if detail else "")) from None
    except (DomainError, ValueError) as error:
        raise source.error(where, str(error)) from None


def _check_body(source: ScenarioSource, where: Path, kind: str, body: Mapping[str, Any]) -> None:
    validator = _body_validator(kind)
    error = next(iter(validator.iter_errors(dict(body))), None)
    if error is not None:
        at: Path = (*where, *error.instance_path)
        raise source.error(at, str(error.message)[:300])


@cache
def _body_validator(kind: str) -> jsonschema_rs.Validator:
    uri = "urn:fanfare-mock:admin"
    registry = jsonschema_rs.Registry([(uri, fanfare_spec.load("fanfare"))], draft=jsonschema_rs.Draft202012)
    return jsonschema_rs.validator_for(
        {"$ref": f"{uri}#{_BODIES[kind]}"},
        registry=registry,
        validate_formats=True,
        ignore_unknown_formats=True,
    )


def at_clock(world: World, now: datetime | None, running: bool | None) -> Callable[[], None]:
    """Set the world's clock for a scenario; returns how to put it back if the scenario fails."""
    clock = world.clock
    before, was_running = clock.now(), clock.running
    if now is not None:
        clock.set(now)
    if running is not None:
        clock.running = running
        clock.set(clock.now())

    def undo() -> None:
        clock.set(before)
        clock.running = was_running

    return undo

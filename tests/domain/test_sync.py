"""Synced lists: the sync table, list imports and skips, each progression policy, forced outcomes, re-sync."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from mock_server.domain.audiences import AudienceSyncStatus
from mock_server.domain.imports import (
    ConsumerDirectory,
    ForcedOutcome,
    JobBoard,
    JobKind,
    MemoryDirectory,
    Progression,
    RowError,
)
from mock_server.domain.kernel import Clock, Conflict, IdFactory, IllegalTransition, Invalid
from mock_server.domain.sync import (
    ALREADY_SYNCED,
    LIST_NOT_FOUND,
    SYNC_TRANSITIONS,
    Catalogue,
    NoSyncSource,
    NotASyncedList,
    SkippedList,
    SyncBook,
    SyncEvent,
    SyncInProgress,
    SyncSource,
    SyncState,
    Vendor,
    sync_transition,
)


@dataclass
class FakeHost:
    """The Organization's side of a sync, in memory."""

    directory: MemoryDirectory = field(default_factory=MemoryDirectory)
    audiences: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, set[int]] = field(default_factory=dict)

    def consumer_directory(self) -> ConsumerDirectory:
        return self.directory

    def replace_members(self, audience_id: str, positions: Sequence[int]) -> None:
        self.members[audience_id] = set(positions)

    def create_synced_list(self, source: SyncSource, *, created_by: str) -> str:
        audience_id = f"aud-{len(self.audiences) + 1}"
        self.audiences[audience_id] = {"name": source.list_name, "source": source.id, "live": True}
        return audience_id

    def audience_is_live(self, audience_id: str) -> bool:
        return bool(self.audiences[audience_id]["live"])


def make_book(clock: Clock, progression: Progression | None = None) -> SyncBook:
    ids = IdFactory(clock, "sync")
    jobs = JobBoard(clock, ids)
    if progression is not None:
        jobs.set_progression(JobKind.SYNC, progression)
    return SyncBook("org-1", clock, ids, jobs, Catalogue(7, "org-1"))


@pytest.mark.parametrize(("status", "event"), list(itertools.product(SyncState, SyncEvent)))
def test_every_sync_table_entry_is_legal_and_every_other_move_raises(
    status: SyncState, event: SyncEvent
) -> None:
    if (status, event) in SYNC_TRANSITIONS:
        assert sync_transition(status, event) is SYNC_TRANSITIONS[status, event]
    elif event is SyncEvent.RESYNC:
        with pytest.raises(SyncInProgress) as caught:
            sync_transition(status, event)
        assert isinstance(caught.value, Conflict) and caught.value.message == "Sync already in progress"
    else:
        with pytest.raises(IllegalTransition):
            sync_transition(status, event)


def test_a_klaviyo_import_creates_audiences_sources_and_pending_jobs(clock: Clock) -> None:
    book, host = make_book(clock), FakeHost()
    result = book.import_lists(Vendor.KLAVIYO, ["YwxYPP", "AbCdEf", "nope00"], host, created_by="u")
    assert [i.list_id for i in result.imported] == ["YwxYPP", "AbCdEf"]
    assert result.skipped == (SkippedList("nope00", LIST_NOT_FOUND, None),)
    first = book.get(result.imported[0].sync_source_id)
    assert (first.status, first.source_type, first.external_id, first.audience_id) == (
        SyncState.PENDING,
        "klaviyo:list",
        "YwxYPP",
        result.imported[0].audience_id,
    )
    assert first.source_data == {"listName": "Newsletter Subscribers", "vendor": "klaviyo"}
    assert host.audiences["aud-1"]["name"] == "Newsletter Subscribers"
    assert book.source_for("aud-1") is first
    assert host.members == {}  # nothing applied while pending


def test_an_already_synced_list_is_skipped_with_its_audience(clock: Clock) -> None:
    book, host = make_book(clock), FakeHost()
    book.import_lists(Vendor.KLAVIYO, ["AbCdEf"], host, created_by="u")
    again = book.import_lists(Vendor.KLAVIYO, ["AbCdEf", "XyZaBc", "XyZaBc"], host, created_by="u")
    assert [i.list_id for i in again.imported] == ["XyZaBc"]
    assert again.skipped == (
        SkippedList("AbCdEf", ALREADY_SYNCED, "aud-1"),
        SkippedList("XyZaBc", ALREADY_SYNCED, "aud-2"),  # a repeat within one request
    )


def test_a_deleted_audience_frees_its_list(clock: Clock) -> None:
    book, host = make_book(clock), FakeHost()
    book.import_lists(Vendor.KLAVIYO, ["YwxYPP"], host, created_by="u")
    host.audiences["aud-1"]["live"] = False  # deleted without telling the sync book
    assert [
        i.list_id for i in book.import_lists(Vendor.KLAVIYO, ["YwxYPP"], host, created_by="u").imported
    ] == ["YwxYPP"]
    book.archive_for_audience("aud-2")  # deleted, and told
    assert book.source_for("aud-2") is None
    assert book.import_lists(Vendor.KLAVIYO, ["YwxYPP"], host, created_by="u").imported


def test_immediate_sync_applies_profiles_as_consumers_and_members(clock: Clock) -> None:
    book, host = make_book(clock, Progression.immediate()), FakeHost()
    result = book.import_lists(Vendor.KLAVIYO, ["YwxYPP"], host, created_by="u")
    source = book.get(result.imported[0].sync_source_id)
    profiles = book.catalogue.profiles(Vendor.KLAVIYO, "YwxYPP")
    assert source.status is SyncState.SUCCESS and source.last_synced_at == clock.now()
    assert (source.synced_profiles, source.consumers_created) == (len(profiles), len(profiles))
    assert len(host.members["aud-1"]) == len(profiles)
    first = host.directory.consumers[0]
    assert (first["email"], first["external_id"], first["full_name"]) == (
        profiles[0].email,
        profiles[0].id,
        profiles[0].full_name,
    )
    assert book.sync_status("aud-1") == (AudienceSyncStatus.SUCCESS, clock.now())


def test_after_reads_sync_shows_pending_then_syncing_then_success(clock: Clock) -> None:
    book, host = make_book(clock, Progression.after_reads(2)), FakeHost()
    book.import_lists(Vendor.MAILCHIMP, [book.catalogue.lists(Vendor.MAILCHIMP)[0].id], host, created_by="u")
    assert book.sync_status("aud-1")[0] is AudienceSyncStatus.PENDING
    seen = []
    for _ in range(3):
        source = book.observe("aud-1", host)
        assert source is not None
        seen.append(source.status)
    assert seen == [SyncState.SYNCING, SyncState.SUCCESS, SyncState.SUCCESS]
    assert book.sync_status("aud-1")[0] is AudienceSyncStatus.SUCCESS
    assert host.members["aud-1"]


def test_after_seconds_sync_follows_the_virtual_clock(clock: Clock) -> None:
    book, host = make_book(clock, Progression.after_seconds(60)), FakeHost()
    book.import_lists(Vendor.SENDGRID, [book.catalogue.lists(Vendor.SENDGRID)[0].id], host, created_by="u")
    assert book.observe("aud-1", host).status is SyncState.PENDING  # type: ignore[union-attr]
    clock.advance(30)
    assert book.refresh("aud-1", host).status is SyncState.SYNCING  # type: ignore[union-attr]
    assert book.sync_status("aud-1")[0] is AudienceSyncStatus.PENDING  # SYNCING is shown as PENDING
    clock.advance(30)
    book.refresh_all(host)
    assert book.source_for("aud-1").status is SyncState.SUCCESS  # type: ignore[union-attr]
    assert host.members["aud-1"]


def test_a_forced_failure_applies_nothing(clock: Clock) -> None:
    book, host = make_book(clock, Progression.immediate()), FakeHost()
    book.jobs.force_next(JobKind.SYNC, ForcedOutcome.failure(reason="Klaviyo API unavailable"))
    book.import_lists(Vendor.KLAVIYO, ["YwxYPP", "AbCdEf"], host, created_by="u")
    failed, ok = book.source_for("aud-1"), book.source_for("aud-2")
    assert failed is not None and ok is not None
    assert (failed.status, failed.failure_reason, failed.last_synced_at) == (
        SyncState.FAILED,
        "Klaviyo API unavailable",
        None,
    )
    assert "aud-1" not in host.members
    assert ok.status is SyncState.SUCCESS  # one forced outcome, one job
    assert book.sync_status("aud-1") == (AudienceSyncStatus.FAILED, None)


def test_a_forced_partial_skips_the_named_profiles(clock: Clock) -> None:
    book, host = make_book(clock, Progression.immediate()), FakeHost()
    skip = (RowError(1, ("Invalid email",)), RowError(3, ("Suppressed",)))
    book.jobs.force_next(JobKind.SYNC, ForcedOutcome.partial(skip))
    book.import_lists(Vendor.KLAVIYO, ["XyZaBc"], host, created_by="u")
    source = book.source_for("aud-1")
    profiles = book.catalogue.profiles(Vendor.KLAVIYO, "XyZaBc")
    assert source is not None and source.status is SyncState.SUCCESS
    assert source.errors == skip and source.synced_profiles == len(profiles) - 2
    emails = {host.directory.consumers[p]["email"] for p in host.members["aud-1"]}
    assert profiles[0].email not in emails and profiles[1].email in emails


def test_profiles_on_two_lists_become_one_consumer(clock: Clock) -> None:
    book, host = make_book(clock, Progression.immediate()), FakeHost()
    book.import_lists(Vendor.KLAVIYO, ["YwxYPP", "AbCdEf"], host, created_by="u")
    emails = {
        p.email for list_id in ("YwxYPP", "AbCdEf") for p in book.catalogue.profiles(Vendor.KLAVIYO, list_id)
    }
    both = len(book.catalogue.profiles(Vendor.KLAVIYO, "YwxYPP")) + len(
        book.catalogue.profiles(Vendor.KLAVIYO, "AbCdEf")
    )
    assert len(emails) < both  # the lists overlap...
    assert len(host.directory.consumers) == len(emails)  # ...and overlapping people are not duplicated
    second = book.source_for("aud-2")
    assert second is not None and second.consumers_updated == both - len(emails)


def test_resync_errors_are_the_guides_400s_and_409(clock: Clock) -> None:
    book, host = make_book(clock, Progression.after_reads(1)), FakeHost()
    with pytest.raises(NotASyncedList) as not_synced:
        book.resync("aud-static", is_synced_list=False, host=host, updated_by="u")
    with pytest.raises(NoSyncSource) as no_source:
        book.resync("aud-bare", is_synced_list=True, host=host, updated_by="u")
    assert (
        isinstance(not_synced.value, Invalid) and not_synced.value.message == "Audience is not a synced list"
    )
    assert isinstance(no_source.value, Invalid) and no_source.value.message == "Audience has no sync source"
    book.import_lists(Vendor.KLAVIYO, ["YwxYPP"], host, created_by="u")
    with pytest.raises(SyncInProgress):
        book.resync("aud-1", is_synced_list=True, host=host, updated_by="u")
    book.observe("aud-1", host)
    source = book.resync("aud-1", is_synced_list=True, host=host, updated_by="v")
    assert (source.status, source.updated_by) == (SyncState.PENDING, "v")
    assert book.observe("aud-1", host).status is SyncState.SUCCESS  # type: ignore[union-attr]
    assert source.applied_job_id == source.job_id


def test_resync_checks_the_clock_before_refusing(clock: Clock) -> None:
    book, host = make_book(clock, Progression.after_seconds(10)), FakeHost()
    book.import_lists(Vendor.KLAVIYO, ["YwxYPP"], host, created_by="u")
    clock.advance(10)  # finished, though nobody looked
    assert book.resync("aud-1", is_synced_list=True, host=host, updated_by="u").status is SyncState.PENDING


def test_a_failed_sync_can_be_resynced(clock: Clock) -> None:
    book, host = make_book(clock, Progression.immediate()), FakeHost()
    book.jobs.force_next(JobKind.SYNC, ForcedOutcome.failure())
    book.import_lists(Vendor.KLAVIYO, ["YwxYPP"], host, created_by="u")
    assert book.resync("aud-1", is_synced_list=True, host=host, updated_by="u").status is SyncState.SUCCESS


def test_attach_accepts_an_unknown_list_and_fails_its_sync(clock: Clock) -> None:
    book, host = make_book(clock, Progression.immediate()), FakeHost()
    bad = book.attach(
        "aud-x", "klaviyo:list", "ZZZZZZ", host, created_by="u", source_data={"listName": "Mine"}
    )
    odd = book.attach("aud-y", "shopify:customers", "1", host, created_by="u")
    good = book.attach("aud-z", "klaviyo:list", "AbCdEf", host, created_by="u")
    assert (bad.status, bad.failure_reason, bad.list_name) == (SyncState.FAILED, LIST_NOT_FOUND, "Mine")
    assert (odd.status, odd.failure_reason) == (
        SyncState.FAILED,
        "Unsupported sync source: shopify:customers",
    )
    assert odd.source_data == {"listName": None, "vendor": "shopify"}
    assert (good.status, good.list_name) == (SyncState.SUCCESS, "VIP Customers")


def test_export_restores_the_book_exactly(clock: Clock) -> None:
    book, host = make_book(clock, Progression.after_reads(2)), FakeHost()
    book.import_lists(Vendor.KLAVIYO, ["YwxYPP", "AbCdEf"], host, created_by="u")
    book.observe("aud-1", host)
    book.observe("aud-1", host)
    data = json.loads(json.dumps(book.export()))
    jobs = JobBoard.restore(json.loads(json.dumps(book.jobs.export())), clock, book.ids)
    again = SyncBook.restore(data, "org-1", clock, book.ids, jobs, Catalogue(7, "org-1"))
    assert again.export() == book.export()
    assert again.observe("aud-2", host).status is SyncState.SYNCING  # type: ignore[union-attr]

"""Experiences: status table and clock, slugs, partial updates, delete, duplicate, metrics, snapshots."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mock_server.domain.experiences import (
    EXPERIENCE_TRANSITIONS,
    CannotDeleteActive,
    DistributionKind,
    Experience,
    ExperienceBook,
    ExperienceEvent,
    ExperiencePatch,
    ExperienceSpec,
    ExperienceStatus,
    SlugTaken,
    derive_status,
    experience_transition,
    slugify,
)
from mock_server.domain.kernel import Clock, Conflict, IdFactory, IllegalTransition, Invalid, NotFound

T0 = datetime(2025, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def make_book(clock: Clock) -> ExperienceBook:
    return ExperienceBook("org-1", clock, IdFactory(clock, "exp"))


def create(book: ExperienceBook, name: str = "Holiday Sale", **kw: Any) -> Any:
    return book.create(ExperienceSpec(name=name, **kw), created_by="user_1")


@pytest.mark.parametrize(("status", "event"), list(itertools.product(ExperienceStatus, ExperienceEvent)))
def test_every_table_entry_is_legal_and_every_other_move_raises(
    status: ExperienceStatus, event: ExperienceEvent
) -> None:
    if (status, event) in EXPERIENCE_TRANSITIONS:
        assert experience_transition(status, event) is EXPERIENCE_TRANSITIONS[status, event]
    else:
        with pytest.raises(IllegalTransition):
            experience_transition(status, event)


def test_deleting_from_active_is_the_guides_409() -> None:
    with pytest.raises(CannotDeleteActive) as caught:
        experience_transition(ExperienceStatus.ACTIVE, ExperienceEvent.DELETE)
    assert isinstance(caught.value, Conflict) and caught.value.message == "Cannot delete active experience"


@pytest.mark.parametrize(
    ("open_at", "close_at", "now", "expected"),
    [
        (None, None, T0, ExperienceStatus.DRAFT),
        (None, T0 + HOUR, T0, ExperienceStatus.DRAFT),
        (T0 + HOUR, None, T0, ExperienceStatus.SCHEDULED),
        (T0, None, T0, ExperienceStatus.ACTIVE),  # openAt <= now
        (T0 - HOUR, T0 + HOUR, T0, ExperienceStatus.ACTIVE),
        (T0 - HOUR, T0, T0, ExperienceStatus.COMPLETED),  # closeAt <= now
        (T0 - 2 * HOUR, T0 - HOUR, T0, ExperienceStatus.COMPLETED),
    ],
)
def test_status_is_derived_from_the_schedule(
    open_at: datetime | None, close_at: datetime | None, now: datetime, expected: ExperienceStatus
) -> None:
    assert derive_status(open_at, close_at, now) is expected


def test_status_moves_draft_scheduled_active_completed_as_the_clock_advances(clock: Clock) -> None:
    book = make_book(clock)
    experience = create(book)
    assert book.status(experience) is ExperienceStatus.DRAFT
    experience = book.update(
        experience.id, ExperiencePatch(open_at=T0 + HOUR, close_at=T0 + 3 * HOUR), updated_by="user_2"
    )
    assert book.status(experience) is ExperienceStatus.SCHEDULED
    clock.advance(3600)
    assert book.status(book.get(experience.id)) is ExperienceStatus.ACTIVE
    clock.advance(2 * 3600)
    assert book.status(book.get(experience.id)) is ExperienceStatus.COMPLETED


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Holiday Sale", "holiday-sale"),
        ("  Fête d'Été 2025!  ", "fete-d-ete-2025"),
        ("VIP -- Early   Access", "vip-early-access"),
        ("限定", "experience"),
    ],
)
def test_slugs_are_lowercase_ascii_words_and_hyphens(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_generated_slugs_are_unique_per_organization(clock: Clock) -> None:
    book = make_book(clock)
    slugs = [create(book).slug for _ in range(3)]
    assert slugs == ["holiday-sale", "holiday-sale-2", "holiday-sale-3"]
    assert create(make_book(clock)).slug == "holiday-sale"  # another organization's book


def test_an_explicit_slug_that_is_taken_is_a_conflict(clock: Clock) -> None:
    book = make_book(clock)
    create(book, slug="holiday-sale-2024")
    with pytest.raises(SlugTaken) as caught:
        create(book, "Other", slug="holiday-sale-2024")
    assert isinstance(caught.value, Conflict)
    with pytest.raises(Invalid):
        create(book, "Other", slug="Not A Slug")
    other = create(book, "Other")
    with pytest.raises(SlugTaken):
        book.update(other.id, ExperiencePatch(slug="holiday-sale-2024"), updated_by="u")
    assert book.update(other.id, ExperiencePatch(slug="other"), updated_by="u").slug == "other"  # its own


def test_a_deleted_experience_frees_its_slug(clock: Clock) -> None:
    book = make_book(clock)
    book.delete(create(book).id, updated_by="u")
    assert create(book).slug == "holiday-sale"


def test_update_is_partial_and_null_clears(clock: Clock) -> None:
    book = make_book(clock)
    experience = create(
        book,
        open_at=T0 + HOUR,
        close_at=T0 + 2 * HOUR,
        time_zone="America/New_York",
        theme={"primaryColor": "#000"},
    )
    clock.advance(60)
    renamed = book.update(experience.id, ExperiencePatch(name="Winter Sale"), updated_by="user_2")
    assert (renamed.name, renamed.slug, renamed.open_at, renamed.theme) == (
        "Winter Sale",
        "holiday-sale",  # the slug is a link: a rename keeps it
        T0 + HOUR,
        {"primaryColor": "#000"},
    )
    assert (renamed.updated_by, renamed.updated_at, renamed.created_by) == (
        "user_2",
        T0 + timedelta(minutes=1),
        "user_1",
    )
    cleared = book.update(
        experience.id, ExperiencePatch.parse_request({"closeAt": None, "theme": None}), updated_by="u"
    )
    assert (cleared.close_at, cleared.theme, cleared.name) == (None, None, "Winter Sale")


@pytest.mark.parametrize(
    "patch",
    [
        ExperiencePatch(open_at=T0 + 3 * HOUR),  # after the existing closeAt
        ExperiencePatch(close_at=T0 + HOUR),  # equal to the existing openAt
        ExperiencePatch(name="   "),
        ExperiencePatch(time_zone="Mars/Olympus_Mons"),
    ],
)
def test_an_update_breaking_a_rule_is_invalid_and_changes_nothing(
    clock: Clock, patch: ExperiencePatch
) -> None:
    book = make_book(clock)
    experience = create(book, open_at=T0 + HOUR, close_at=T0 + 2 * HOUR)
    with pytest.raises(Invalid):
        book.update(experience.id, patch, updated_by="u")
    assert book.get(experience.id) == experience


def test_create_refuses_close_before_open(clock: Clock) -> None:
    with pytest.raises(Invalid) as caught:
        create(make_book(clock), open_at=T0 + HOUR, close_at=T0)
    assert caught.value.issues[0].field == "closeAt"


def test_delete_archives_scheduled_and_refuses_active(clock: Clock) -> None:
    book = make_book(clock)
    scheduled = create(book, open_at=T0 + HOUR)
    active = create(book, "Live", open_at=T0)
    deleted = book.delete(scheduled.id, updated_by="u")
    assert deleted.archived and deleted.id == scheduled.id
    with pytest.raises(NotFound):
        book.get(scheduled.id)
    with pytest.raises(NotFound):
        book.delete(scheduled.id, updated_by="u")
    with pytest.raises(CannotDeleteActive):
        book.delete(active.id, updated_by="u")
    assert [e.id for e in book.experiences()] == [active.id]
    clock.advance(86_400)
    assert book.update(active.id, ExperiencePatch(close_at=T0 + HOUR), updated_by="u")
    assert book.delete(active.id, updated_by="u").archived  # completed now: deletable


R_BODY = {
    "name": "Sneaker Drop",
    "timeZone": "America/New_York",
    "theme": {"primary": "#111111", "variant": "rounded"},
    "i18n": {"en": {"title": "Drop"}},
    "accessCode": "VIP",
    "products": [{"productId": "p-1"}, {"productId": "p-2", "productVariantId": "v-2", "isPrimary": True}],
    "sequence": {
        "name": "Main",
        "priority": 2,
        "audienceId": "aud-1",
        "queues": [
            {
                "name": "Queue",
                "admitRate": 50,
                "openAt": "2025-03-01T09:00:00",
                "closeAt": "2025-03-01T12:00:00",
            }
        ],
        "draws": [
            {
                "name": "Draw",
                "drawAt": "2025-03-02T10:00:00Z",
                "winnerCount": 10,
                "openAt": "2025-03-01T08:00:00Z",
            }
        ],
    },
}


def test_a_reference_create_keeps_everything_and_derives_the_schedule(clock: Clock) -> None:
    book = make_book(clock)
    experience = book.create(ExperienceSpec.parse_request(R_BODY), created_by="user_1")
    assert experience.theme == R_BODY["theme"] and experience.i18n == R_BODY["i18n"]
    assert [(p.product_id, p.is_primary, p.position) for p in experience.products] == [
        ("p-1", True, 0),  # isPrimary not sent: the first product is the primary one
        ("p-2", True, 1),
    ]
    (sequence,) = experience.sequences
    queue, draw = sequence.distributions
    assert (queue.kind, queue.open_at, queue.settings) == (
        DistributionKind.QUEUE,
        datetime(2025, 3, 1, 14, tzinfo=UTC),  # naive local time, read in America/New_York
        {"admitRate": 50},
    )
    assert (draw.decided_at, draw.settings) == (datetime(2025, 3, 2, 10, tzinfo=UTC), {"winnerCount": 10})
    # No explicit schedule: earliest opening, latest close or decision.
    assert (experience.open_at, experience.close_at) == (datetime(2025, 3, 1, 8, tzinfo=UTC), draw.decided_at)
    R_BODY["theme"]["primary"] = "#changed"  # type: ignore[index]
    assert experience.theme == {"primary": "#111111", "variant": "rounded"}  # a private copy
    R_BODY["theme"]["primary"] = "#111111"  # type: ignore[index]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x", "openAt": "not a date"},
        {"name": "x", "theme": "blue"},
        {"name": "x", "products": [{"productVariantId": "v"}]},
        {"name": "x", "sequence": {"queues": []}},
        {"name": "x", "sequence": {"name": "s", "queues": [{"admitRate": 1}]}},
    ],
)
def test_bad_bodies_are_invalid(clock: Clock, body: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        make_book(clock).create(ExperienceSpec.parse_request(body), created_by="u")


def all_ids(e: Experience) -> set[str]:
    return {
        e.id,
        *(p.id for p in e.products),
        *(s.id for s in e.sequences),
        *(d.id for s in e.sequences for d in s.distributions),
    }


def test_duplicate_copies_everything_with_new_ids(clock: Clock) -> None:
    book = make_book(clock)
    original = book.create(ExperienceSpec.parse_request(R_BODY), created_by="user_1")
    clock.advance(5)
    copy_ = book.duplicate(original.id, created_by="user_2")
    assert (copy_.name, copy_.slug) == ("Copy of Sneaker Drop", "copy-of-sneaker-drop")
    assert (copy_.open_at, copy_.close_at, copy_.theme, copy_.access_code) == (
        original.open_at,
        original.close_at,
        original.theme,
        original.access_code,
    )
    assert (copy_.created_by, copy_.created_at) == ("user_2", clock.now())
    assert not all_ids(copy_) & all_ids(original)
    assert [d.name for d in copy_.sequences[0].distributions] == ["Queue", "Draw"]
    named = book.duplicate(original.id, name="Sneaker Drop 2026", created_by="u")
    assert (named.name, named.slug) == ("Sneaker Drop 2026", "sneaker-drop-2026")
    assert book.duplicate(original.id, created_by="u").slug == "copy-of-sneaker-drop-2"


def test_deleting_an_audience_lifts_the_restriction(clock: Clock) -> None:
    book = make_book(clock)
    experience = book.create(ExperienceSpec.parse_request(R_BODY), created_by="u")
    changed = book.detach_audience("aud-1", updated_by="system")
    assert [e.id for e in changed] == [experience.id]
    assert book.get(experience.id).sequences[0].audience_id is None


def test_metrics_are_deterministic_and_follow_the_status(clock: Clock) -> None:
    book = make_book(clock)
    experience = book.create(ExperienceSpec.parse_request(R_BODY), created_by="u")
    early = book.metrics(experience.id)
    assert early.status is ExperienceStatus.SCHEDULED and early.entries == 0
    assert early.sequences[0].waitlist_size == sum(early.sequences[0].waitlist_by_age) > 0
    clock.set(datetime(2025, 3, 1, 20, tzinfo=UTC))
    during = book.metrics(experience.id, audience_size=lambda audience_id: 1234)
    assert during.entries > 0 and during.sequences[0].audience_size == 1234
    clock.set(datetime(2025, 4, 1, tzinfo=UTC))
    after = book.metrics(experience.id)
    assert after.entries > during.entries and after.sequences[0].waitlist_size == 0
    assert after == book.metrics(experience.id)
    assert 0 <= after.conversion_rate <= 1 and after.conversions <= after.admissions <= after.entries


def test_export_restores_the_book_exactly(clock: Clock) -> None:
    book = make_book(clock)
    kept = book.create(ExperienceSpec.parse_request(R_BODY), created_by="u")
    book.delete(create(book).id, updated_by="u")
    data = json.loads(json.dumps(book.export()))
    again = ExperienceBook.restore(data, "org-1", clock, book.ids)
    assert again.export() == book.export()
    assert again.get(kept.id) == kept

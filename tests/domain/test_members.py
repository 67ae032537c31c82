"""Members pages: keyset cursors, exactly-once walks under concurrent change, search, limits."""

from __future__ import annotations

import random

import pytest

from mock_server.domain.audiences import (
    AudienceInput,
    AudienceType,
    PageRequest,
    RuleInput,
    decode_cursor,
    encode_cursor,
)
from mock_server.domain.kernel import Invalid
from mock_server.domain.world import Organization


def walk(org: Organization, audience_id: str, first: int = 37, search: str | None = None) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        page = org.members.page(audience_id, PageRequest(first=first, after=after, search=search))
        seen.extend(r.position for r in page.items)
        if page.end_cursor is None:
            return seen
        after = page.end_cursor


def test_a_full_walk_equals_the_count_with_no_duplicates(org: Organization) -> None:
    audience = org.audiences.create(
        AudienceInput("buyers", AudienceType.DYNAMIC, rules=(RuleInput("totalOrders", "GREATER_THAN", (2,)),))
    )
    seen = walk(org, audience.id)
    assert len(seen) == len(set(seen)) == org.members.count(audience.id).count > 0
    assert seen == sorted(seen)


def test_default_and_maximum_page_sizes(org: Organization) -> None:
    audience = org.audiences.create(
        AudienceInput("all", AudienceType.DYNAMIC, rules=(RuleInput("totalOrders", "EXISTS"),))
    )
    assert len(org.members.page(audience.id).items) == 20
    assert len(org.members.page(audience.id, PageRequest(first=100)).items) == 100
    for bad in (0, 101, -1):
        with pytest.raises(Invalid):
            org.members.page(audience.id, PageRequest(first=bad))


def test_walk_sees_every_stable_member_exactly_once_while_others_come_and_go(org: Organization) -> None:
    rng = random.Random(3)
    audience = org.audiences.create(AudienceInput("list", AudienceType.STATIC))
    table = org.consumers
    stable = sorted(rng.sample(range(len(table)), 400))
    churn = [p for p in range(len(table)) if p not in set(stable)]
    org.members.add(audience.id, [table.id_of(p) for p in stable])
    seen: list[int] = []
    after = None
    while True:
        page = org.members.page(audience.id, PageRequest(first=25, after=after))
        seen.extend(r.position for r in page.items)
        # between pages: add some newcomers, remove some of them again
        newcomers = rng.sample(churn, 15)
        org.members.add(audience.id, [table.id_of(p) for p in newcomers])
        org.members.remove(audience.id, [table.id_of(p) for p in rng.sample(newcomers, 10)])
        if page.end_cursor is None:
            break
        after = page.end_cursor
    assert len(seen) == len(set(seen))
    assert set(stable) <= set(seen)


def test_end_cursor_is_none_on_the_last_page_and_empty_audiences_have_no_cursors(org: Organization) -> None:
    audience = org.audiences.create(AudienceInput("list", AudienceType.STATIC))
    empty = org.members.page(audience.id)
    assert empty.items == () and empty.start_cursor is None and empty.end_cursor is None
    org.members.add(audience.id, [org.consumers.id_of(p) for p in range(20)])
    page = org.members.page(audience.id, PageRequest(first=20))
    assert len(page.items) == 20 and page.end_cursor is None and page.start_cursor is not None


def test_cursors_are_opaque_and_garbage_is_invalid(org: Organization) -> None:
    assert decode_cursor(encode_cursor(12345)) == 12345
    audience = org.audiences.create(AudienceInput("list", AudienceType.STATIC))
    for garbage in ("", "abc", "eyJpZCI6ImNvbnMifQ==", encode_cursor(5)[:-1] + "A", "!!!!"):
        with pytest.raises(Invalid, match="Invalid cursor"):
            org.members.page(audience.id, PageRequest(after=garbage))


def test_search_matches_email_phone_or_name_case_insensitively(org: Organization) -> None:
    audience = org.audiences.create(
        AudienceInput("all", AudienceType.DYNAMIC, rules=(RuleInput("totalOrders", "EXISTS"),))
    )
    record = org.consumers.record(123)
    assert record.full_name and record.phone
    for needle in (record.full_name.split()[1].upper(), record.email[3:12], record.phone[-7:]):
        found = walk(org, audience.id, first=100, search=needle)
        assert 123 in found
        for r in org.consumers.records(found):
            hay = " ".join(x.casefold() for x in (r.email, r.phone, r.full_name) if x)
            assert needle.casefold() in hay


def test_backward_pages_with_last_and_before(org: Organization) -> None:
    audience = org.audiences.create(AudienceInput("list", AudienceType.STATIC))
    org.members.add(audience.id, [org.consumers.id_of(p) for p in range(50)])
    tail = org.members.page(audience.id, PageRequest(last=10))
    assert [r.position for r in tail.items] == list(range(40, 50))
    before = org.members.page(audience.id, PageRequest(last=10, before=tail.start_cursor))
    assert [r.position for r in before.items] == list(range(30, 40))
    with pytest.raises(Invalid):
        org.members.page(audience.id, PageRequest(first=5, last=5))


def test_group_members_cover_the_group_and_filter_by_audience(org: Organization) -> None:
    from mock_server.domain.audiences import TierGroupInput, TierInput, create_tier_group

    group = create_tier_group(
        org, TierGroupInput("Orders", "totalOrders", (TierInput("Low", 0, 0, 3), TierInput("High", 3, 1)))
    )
    total = 0
    after = None
    while True:
        page = org.members.group_page(group.tier_group, PageRequest(first=100, after=after))
        total += len(page.items)
        if page.end_cursor is None:
            break
        after = page.end_cursor
    assert total == len(org.consumers)
    high = group.audiences[1]
    page = org.members.group_page(group.tier_group, PageRequest(first=100), audience_id=high.id)
    assert all(r.total_orders >= 3 for r in page.items)

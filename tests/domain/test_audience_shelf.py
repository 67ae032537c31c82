"""The audience shelf: stored audiences as plain tuples the cyclic collector stops tracking.

A store of tens of thousands of audiences made every full collection walk them all (issue 10, "No
stalls"); a record of atoms is untracked after the first collection, and reads give the same Audience back.
"""

from __future__ import annotations

import dataclasses
import gc
from datetime import timedelta

import pytest

from mock_server.domain.audiences import (
    AudienceInput,
    AudienceType,
    GroupType,
    RuleInput,
)
from mock_server.domain.audiences.shelf import AudienceShelf
from mock_server.domain.world import Organization

RULES = (
    RuleInput("totalOrders", "GREATER_THAN_OR_EQUAL", (5,)),
    RuleInput("email", "CONTAINS", ("@example",), group_id="g2"),
)


def _full(org: Organization) -> AudienceInput:
    return AudienceInput(
        "Every field",
        AudienceType.DYNAMIC,
        description="all set",
        icon_name="star",
        metadata={"tier": "gold", "nested": {"a": [1, 2]}},
        rules=RULES,
        group_id="grp",
        group_type=GroupType.RFM,
        group_name="RFM",
        refresh_interval_seconds=60,
        last_refreshed_at=org.clock.now() - timedelta(days=1),
    )


def test_a_shelved_audience_reads_back_equal_with_its_enums(org: Organization) -> None:
    created = org.audiences.create(_full(org))
    shelf = AudienceShelf()
    shelf[created.id] = created
    back = shelf[created.id]
    assert back == created and back is not created
    assert back.type is AudienceType.DYNAMIC and back.group_type is GroupType.RFM
    assert [r.operator for r in back.rules] == [r.operator for r in created.rules]
    assert all(type(r.operator) is type(c.operator) for r, c in zip(back.rules, created.rules, strict=True))
    assert back.metadata is created.metadata  # the same mapping, as before


def test_the_shelf_is_a_mapping_in_insertion_order(org: Organization) -> None:
    first = org.audiences.create(AudienceInput("A", AudienceType.STATIC))
    second = org.audiences.create(AudienceInput("B", AudienceType.SYNCED_LIST))
    shelf = AudienceShelf()
    shelf[first.id], shelf[second.id] = first, second
    shelf[first.id] = dataclasses.replace(first, name="A2")
    assert list(shelf) == [first.id, second.id] and len(shelf) == 2
    assert [a.name for a in shelf.values()] == ["A2", "B"]
    assert shelf.get("nope") is None and "nope" not in shelf and first.id in shelf
    with pytest.raises(KeyError):
        shelf["nope"]
    del shelf[second.id]
    assert list(shelf) == [first.id]


def test_plain_audiences_leave_the_collectors_sight(org: Organization) -> None:
    """A dynamic audience without nested metadata is stored as atoms only: untracked once collected."""
    made = [
        org.audiences.create(AudienceInput(f"VIP {i}", AudienceType.DYNAMIC, rules=RULES[:1]))
        for i in range(50)
    ]
    shelf = AudienceShelf()
    for audience in made:
        shelf[audience.id] = audience
    gc.collect()
    assert not any(gc.is_tracked(record) for record in shelf.records())
    # nested metadata stays tracked (and correct): nothing is lost, only fewer objects are walked
    rich = org.audiences.create(_full(org))
    shelf[rich.id] = rich
    gc.collect()
    assert shelf[rich.id] == rich


def test_the_registry_keeps_its_audiences_on_the_shelf(org: Organization) -> None:
    audience = org.audiences.create(AudienceInput("VIP", AudienceType.DYNAMIC, rules=RULES[:1]))
    gc.collect()
    assert not gc.is_tracked(org.audiences._audiences.records()[-1])
    assert org.audiences.get(audience.id) == audience


def test_member_sets_are_kept_as_untracked_records_and_changes_persist(org: Organization) -> None:
    dynamic = org.audiences.create(AudienceInput("VIP", AudienceType.DYNAMIC, rules=RULES[:1]))
    listed = org.audiences.create(AudienceInput("List", AudienceType.STATIC))
    assert org.members.add_positions(listed.id, [0, 1, 2]) == 3
    assert org.members.add_positions(listed.id, [2, 3]) == 1
    gc.collect()
    records = org.members._sets._sets  # type: ignore[attr-defined]
    assert not any(gc.is_tracked(record) for record in records.values())
    assert list(org.members.positions(listed.id)) == [0, 1, 2, 3]
    assert org.members.count(dynamic.id).count == len(org.members.positions(dynamic.id)) > 0
    org.members.replace_positions(listed.id, [5])
    assert list(org.members.positions(listed.id)) == [5]

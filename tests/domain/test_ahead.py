"""Evaluation ahead (issue 10, no stalls): a create or a read whose rule sets were evaluated first, in
slices with other writes in between, answers exactly what it would have answered alone, and drawing
those slices changes nothing an answer or an export shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from mock_server.domain.audiences import AudienceInput, AudienceType, RuleInput, compile_rules
from mock_server.domain.kernel import finish
from mock_server.domain.world import Organization, World, ahead, materializer

WIDE = (
    *(RuleInput("email", "CONTAINS", (f"{i}",), f"g{i % 4}") for i in range(12)),
    RuleInput("totalOrders", "GREATER_THAN_OR_EQUAL", (2,)),
)
DYNAMIC = AudienceInput(name="Wide", type=AudienceType.DYNAMIC, rules=WIDE)


def full(org: Organization, audience_id: str) -> list[int]:
    return np.flatnonzero(compile_rules(org.audiences.rules(audience_id))(org.consumers)).tolist()


def slices(steps: Any, between: Callable[[int], None] = lambda _: None) -> int:
    """Run `steps` to its end, calling `between(k)` after slice k; how many slices there were."""
    k = 0
    for _ in steps:
        between(k)
        k += 1
    return k


@pytest.fixture
def tiny_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(materializer, "MIN_SLICE", 1)
    monkeypatch.setattr(materializer, "SLICE_WORK", 13 * 200)  # 200 rows a slice for these 13 rules


def test_a_create_evaluated_ahead_answers_and_exports_as_one_alone(
    world_factory: Callable[..., World], tiny_slices: None
) -> None:
    alone, ahead = world_factory(), world_factory()
    org_alone, org_ahead = (w.organization_for_key("sk_test_alpha") for w in (alone, ahead))
    before = ahead.export()
    assert slices(org_ahead.ahead.create(DYNAMIC)) >= 10
    assert ahead.export() == before  # nothing drawn: no id, no refresh, no change
    with pytest.MonkeyPatch.context() as patch:  # the create finds its rules evaluated: no pass of its own
        patch.setattr(materializer, "_evaluate", None)
        first = org_ahead.audiences.create(DYNAMIC)
    made = first, org_alone.audiences.create(DYNAMIC)
    assert made[0] == made[1]
    assert (
        org_ahead.members.positions(made[0].id).tolist() == org_alone.members.positions(made[1].id).tolist()
    )
    assert ahead.export() == alone.export()


def test_writes_between_the_slices_are_in_the_answer(org: Organization, tiny_slices: None) -> None:
    def write(k: int) -> None:  # other requests: an update of a member-to-be and a new consumer
        org.consumers.update(k * 37, email=f"changed{k}0{k}@example.com", total_orders=5)
        org.consumers.append(email=f"new{k}1{k}@example.com", total_orders=3)

    slices(org.ahead.create(DYNAMIC), write)
    audience = org.audiences.create(DYNAMIC)
    assert org.members.positions(audience.id).tolist() == full(org, audience.id)


def test_reads_evaluated_ahead_after_an_import_equal_a_full_evaluation(
    org: Organization, tiny_slices: None
) -> None:
    audience = org.audiences.create(DYNAMIC)
    org.consumers.append_many([{"email": f"bulk{i}@example.com", "total_orders": i % 4} for i in range(900)])
    org.consumers.update(5, email="x01@example.com")
    assert slices(org.ahead.reads()) >= 1
    slices(org.ahead.reads([audience.id, "no-such-audience"]))  # already fresh; unknown ids are skipped
    assert org.members.positions(audience.id).tolist() == full(org, audience.id)
    rules = [RuleInput("totalOrders", "LESS_THAN", (1,))]
    slices(org.ahead.rules(audience.id, rules, replace=False))
    org.audiences.add_rules(audience.id, rules)
    assert org.members.positions(audience.id).tolist() == full(org, audience.id)
    slices(org.ahead.rules(audience.id, rules, replace=True))
    org.audiences.replace_rules(audience.id, rules)
    assert org.members.positions(audience.id).tolist() == full(org, audience.id)


def test_refused_rules_are_not_evaluated_ahead(org: Organization) -> None:
    bad = AudienceInput(name="Bad", type=AudienceType.DYNAMIC, rules=(RuleInput("nope", "EQUALS", (1,)),))
    assert finish(org.ahead.create(bad)) is None
    assert finish(org.ahead.rules("no-such-audience", WIDE, replace=True)) is None


def test_reads_pause_between_many_audiences(org: Organization) -> None:
    for i in range(ahead.LOOKED_AT * 2):  # all of one rule set: evaluated once, the others find it
        org.audiences.create(AudienceInput(name=f"A{i}", type=AudienceType.DYNAMIC, rules=WIDE[-1:]))
    org.consumers.append(email="late@example.com", total_orders=9)
    assert slices(org.ahead.reads()) >= 2
    last = org.audiences.live()[-1]
    assert org.members.positions(last.id).tolist() == full(org, last.id)


def test_what_changed_under_the_slices_is_caught_up_in_slices_too(
    org: Organization, tiny_slices: None
) -> None:
    def import_slice(k: int) -> None:  # an import running beside the evaluation, ending before it does
        if k < 20:
            org.consumers.append_many(
                [{"email": f"imp{k}-{i}@example.com", "total_orders": 3} for i in range(50)]
            )

    slices(org.ahead.create(DYNAMIC), import_slice)
    with pytest.MonkeyPatch.context() as patch:  # nothing left for the create to evaluate at once
        patch.setattr(materializer, "_evaluate", None)
        patch.setattr(materializer, "_caught_up", None)
        audience = org.audiences.create(DYNAMIC)
    assert org.members.positions(audience.id).tolist() == full(org, audience.id)

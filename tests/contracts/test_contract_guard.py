"""The safety guard: read-only, the request budget, the rate limit and ownership of ids."""

from __future__ import annotations

import pytest

from contracts.guard import BudgetExhausted, ReadOnlyViolation, RunGuard
from contracts.ledger import Ledger


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_read_only_refuses_every_write_and_admits_reads():
    guard = RunGuard(ledger=Ledger(), prefix="fct-1-", read_only=True)
    guard.admit("GET", "/api/v1/audiences")
    guard.admit("head", "/api/v1/audiences")
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        with pytest.raises(ReadOnlyViolation):
            guard.admit(method, "/api/v1/audiences")
    assert guard.sent == 2 and guard.refused_writes == 5


def test_budget_is_a_hard_ceiling_and_reports_once():
    calls: list[int] = []
    guard = RunGuard(ledger=Ledger(), prefix="fct-1-", budget=3)
    guard.on_exhausted = lambda: calls.append(1)
    for _ in range(3):
        guard.admit("GET")
    assert guard.exhausted
    for _ in range(2):
        with pytest.raises(BudgetExhausted):
            guard.admit("GET")
    assert guard.sent == 3 and calls == [1]


def test_probes_count_against_the_budget():
    calls: list[int] = []
    guard = RunGuard(ledger=Ledger(), prefix="fct-1-", budget=10)
    guard.on_exhausted = lambda: calls.append(1)
    guard.admit("GET")
    guard.count_unadmitted(9)
    assert guard.exhausted and calls == [1]


def test_rate_limit_spaces_requests_evenly():
    fake = FakeClock()
    guard = RunGuard(ledger=Ledger(), prefix="fct-1-", rate=4.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        guard.admit("GET")
    assert fake.slept == pytest.approx([0.25, 0.25, 0.25, 0.25])


def test_writes_may_only_name_ids_this_run_created():
    ledger = Ledger()
    ledger.add("audience", "mine", "v1")
    guard = RunGuard(ledger=ledger, prefix="fct-1-")
    assert guard.own_path_parameters("DELETE", {"audienceId": "mine"}) == {"audienceId": "mine"}
    assert guard.own_path_parameters("DELETE", {"audienceId": "theirs"}) == {"audienceId": "fct-1-not-ours"}
    assert guard.own_path_parameters("POST", {"audienceId": "mine", "ruleId": 7}) == {
        "audienceId": "mine",
        "ruleId": "fct-1-not-ours",
    }
    assert guard.own_path_parameters("GET", {"audienceId": "theirs"}) == {"audienceId": "theirs"}
    assert guard.rewritten_ids == 2


def test_create_names_get_the_run_prefix_once():
    guard = RunGuard(ledger=Ledger(), prefix="fct-1-")
    assert guard.prefixed({"name": "VIP", "type": "STATIC"}) == {"name": "fct-1-VIP", "type": "STATIC"}
    assert guard.prefixed({"name": "fct-1-VIP"}) == {"name": "fct-1-VIP"}
    assert guard.prefixed({"groupName": "Tiers"}) == {"groupName": "fct-1-Tiers"}
    assert guard.prefixed({"name": ""}) == {"name": ""}  # an invalid name stays invalid
    assert guard.prefixed({"name": 3}) == {"name": 3}
    assert guard.prefixed(["not", "a", "dict"]) == ["not", "a", "dict"]


@pytest.mark.parametrize("rules", [0.5, "x", None, {"audienceId": "other"}])
def test_a_rule_body_whose_rules_member_is_not_a_list_is_left_as_it_is(rules):
    """A schema-valid rule body may carry any other member; a fuzzed `rules: 0.5` once broke the hook."""
    from types import SimpleNamespace

    from contracts.guard import _align_rule_owner

    body = {"audienceId": "made-up", "rules": rules}
    case = SimpleNamespace(
        path="/api/audiences/{audienceId}/rules/{ruleId}", path_parameters={"audienceId": "a1"}, body=body
    )
    _align_rule_owner(case)
    assert body == {"audienceId": "a1", "rules": rules}


def test_the_rules_of_a_rule_body_take_the_path_audience():
    from types import SimpleNamespace

    from contracts.guard import _align_rule_owner

    body = {"rules": [{"audienceId": "x"}, {"other": 1}]}
    case = SimpleNamespace(
        path="/api/audiences/{audienceId}/rules", path_parameters={"audienceId": "a1"}, body=body
    )
    _align_rule_owner(case)
    assert body == {"rules": [{"audienceId": "a1"}, {"other": 1}]}

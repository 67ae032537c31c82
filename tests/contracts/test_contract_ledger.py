"""The ledger learns created ids from successful writes, and only from those."""

from __future__ import annotations

from contracts.ledger import Ledger


def test_creates_are_recorded_with_their_kind_family_and_owner():
    ledger = Ledger()
    ledger.record_response(
        "POST", "/api/v1/audiences", 201, {"id": "a1", "name": "fct-x", "rules": [{"id": "r1"}]}
    )
    ledger.record_response("POST", "/api/audiences", 200, {"id": "a2"}, owner=1)
    ledger.record_response("POST", "/api/v1/experiences", 201, {"id": "e1", "name": "n"})
    ledger.record_response("POST", "/api/v1/experiences/e1/duplicate", 201, {"id": "e2"})
    ledger.record_response(
        "POST",
        "/api/audiences/loyalty-tiers",
        200,
        {"tierGroup": "g1", "audiences": [{"id": "t1"}, {"id": "t2"}]},
    )
    ledger.record_response("POST", "/api/audiences/a2/rules", 200, {"id": "r2"})
    ledger.record_response("POST", "/api/v1/audiences/a1/rules", 201, [{"id": "r3"}])
    kinds = {(item.kind, item.id) for item in ledger}
    assert kinds == {
        ("audience", "a1"),
        ("rule", "r1"),
        ("audience", "a2"),
        ("experience", "e1"),
        ("experience", "e2"),
        ("group", "g1"),
        ("audience", "t1"),
        ("audience", "t2"),
        ("rule", "r2"),
        ("rule", "r3"),
    }
    assert next(i for i in ledger if i.id == "a2").owner == 1
    assert next(i for i in ledger if i.id == "a2").family == "api"
    assert ledger.owns("t2") and not ledger.owns("zzz")


def test_failures_reads_and_foreign_ids_teach_nothing():
    ledger = Ledger()
    ledger.record_response("POST", "/api/v1/audiences", 400, {"id": "no"})
    ledger.record_response("GET", "/api/v1/audiences/x", 200, {"id": "foreign"})
    ledger.record_response("PUT", "/api/v1/audiences/x", 200, {"id": "foreign-too"})
    ledger.record_response("POST", "/_mock/reset", 200, {"id": "control"})
    ledger.record_response(
        "POST",
        "/api/v1/audiences/import/klaviyo",
        200,
        {
            "imported": [{"listId": "L1", "syncSourceId": "s1"}],
            "skipped": [{"existingAudienceId": "someone-else"}],
        },
    )
    assert [(i.kind, i.id) for i in ledger] == [("sync_source", "s1")]


def test_cleanup_order_is_experiences_groups_then_audiences_newest_first():
    ledger = Ledger()
    for kind, id_ in (
        ("audience", "a1"),
        ("experience", "e1"),
        ("group", "g1"),
        ("audience", "a2"),
        ("rule", "r"),
    ):
        ledger.add(kind, id_, "v1")
    ledger.mark_deleted("audience", "a1")
    assert [(i.kind, i.id) for i in ledger.to_clean()] == [
        ("experience", "e1"),
        ("group", "g1"),
        ("audience", "a2"),
    ]

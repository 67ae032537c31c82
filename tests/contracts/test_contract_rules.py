"""The pure business rules the checks and scenarios share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts import rules
from contracts.families import API, V1

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def iso(delta: timedelta) -> str:
    return (NOW + delta).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("family", "status", "body"),
    [
        (V1, 400, {"error": "Validation failed", "details": [{"field": "name", "message": "Required"}]}),
        (V1, 404, {"error": "Audience not found"}),
        (V1, 409, {"error": "Sync already in progress", "message": "try later"}),
        (V1, 401, {"error": "Authentication required"}),
        (API, 400, {"error": "validation_error", "issues": [{"message": "Required", "path": []}]}),
        (API, 400, {"error": "Audience is not a synced list"}),
        (API, 401, {"error": "Secret key required"}),
        (API, 404, {"error": "Audience not found"}),
        (V1, 200, "anything goes outside 4xx"),
    ],
)
def test_envelopes_that_conform(family, status, body):
    assert rules.error_envelope_problems(family, status, body) == []


@pytest.mark.parametrize(
    ("family", "status", "body", "fragment"),
    [
        (V1, 400, {"error": "validation_error", "issues": [{"message": "x"}]}, "reference envelope"),
        (V1, 400, {"error": "Validation failed"}, "without"),
        (V1, 400, {"error": "Validation failed", "details": [{"field": 1}]}, "details"),
        (
            API,
            400,
            {"error": "Validation failed", "details": [{"field": "name", "message": "Required"}]},
            "guide",
        ),
        (API, 400, {"error": "validation_error", "issues": []}, "issues"),
        (API, 404, {"message": "nope"}, 'no "error"'),
        (V1, 401, {"error": "unauthorized"}, "401"),
        (V1, 404, ["not", "an", "object"], "not a JSON object"),
    ],
)
def test_envelopes_that_do_not(family, status, body, fragment):
    problems = rules.error_envelope_problems(family, status, body)
    assert problems and any(fragment in p for p in problems), problems


def test_search_matches_email_phone_or_name_case_insensitively():
    member = {"email": "Ada.Lovelace@example.com", "phone": "+1 (555) 010-2030", "fullName": "Ada Lovelace"}
    assert rules.matches_search(member, "ada.l")
    assert rules.matches_search(member, "LOVE")
    assert rules.matches_search(member, "555")
    assert rules.matches_search(member, "5550102030")
    assert not rules.matches_search(member, "babbage")
    assert not rules.matches_search({"email": None, "phone": None}, "ab")


def test_duplicates_lists_each_repeated_value_once():
    assert rules.duplicates([1, 2, 1, 3, 1, 2]) == [1, 2]
    assert rules.duplicates([]) == []


@pytest.mark.parametrize(
    ("open_at", "close_at", "status", "ok"),
    [
        (None, None, "draft", True),
        (None, None, "active", False),
        (None, timedelta(days=-1), "draft", True),
        (None, timedelta(days=-1), "completed", False),
        (timedelta(days=-1), None, "active", True),
        (timedelta(days=-1), None, "scheduled", False),
        (timedelta(days=3), None, "scheduled", True),
        (timedelta(days=3), None, "draft", False),
        (timedelta(days=-3), timedelta(days=-1), "completed", True),
        (timedelta(days=-3), timedelta(days=-1), "active", False),
        (timedelta(days=-3), timedelta(days=2), "active", True),
        (timedelta(seconds=5), None, "draft", True),  # too close to judge
    ],
)
def test_experience_status_against_the_schedule(open_at, close_at, status, ok):
    body = {
        "status": status,
        "openAt": iso(open_at) if open_at is not None else None,
        "closeAt": iso(close_at) if close_at is not None else None,
    }
    assert (rules.experience_status_problem(body, NOW) is None) is ok


def test_tier_overlaps_reads_half_open_ranges():
    assert rules.tier_overlaps([("Bronze", 0, 100), ("Silver", 100, 500), ("Gold", 500, None)]) == []
    problems = rules.tier_overlaps([("Bronze", 0, 100), ("Silver", 90, 500)])
    assert problems == ["tier Bronze [0, 100) overlaps tier Silver starting at 90"]
    assert rules.tier_overlaps([("Gold", 500, None), ("Platinum", 1000, None)])


def test_parse_time_accepts_z_and_offsets_and_rejects_junk():
    assert rules.parse_time("2025-06-01T12:00:00Z") == NOW
    assert rules.parse_time("2025-06-01T14:00:00+02:00") == NOW
    assert rules.parse_time("2025-06-01T12:00:00") == NOW  # no offset: read as UTC
    assert rules.parse_time("yesterday") is None
    assert rules.parse_time(None) is None

"""The virtual clock's supported range: instants beyond it are a 400, never a 500 or a broken server."""

from __future__ import annotations

import time
from typing import Any

import httpx

Start = Any  # the start_mock fixture (tests/hardening/conftest.py)

KEY = {"Authorization": "Bearer sk_test_clock"}
FROZEN = "2025-01-01T00:00:00Z"


def _healthy_everywhere(base: str) -> None:
    assert httpx.get(f"{base}/_mock/health").status_code == 200
    assert httpx.get(f"{base}/_mock/clock").status_code == 200
    assert httpx.get(f"{base}/api/v1/audiences", headers=KEY).status_code == 200
    created = httpx.post(f"{base}/api/v1/audiences", headers=KEY, json={"name": "After", "type": "STATIC"})
    assert created.status_code == 201, created.text


def test_a_running_clock_near_the_end_of_time_is_refused_and_the_server_keeps_working(
    start_mock: Start,
) -> None:
    mock = start_mock("--clock", FROZEN)  # serve's clock runs by default: freeze it to compare readings
    before = httpx.get(f"{mock.base}/_mock/clock").json()
    answer = httpx.post(f"{mock.base}/_mock/clock", json={"now": "9999-12-31T23:59:58Z", "running": True})
    assert answer.status_code == 400, answer.text
    assert "now" in answer.text
    assert httpx.get(f"{mock.base}/_mock/clock").json() == before, "a refused request changes nothing"
    time.sleep(2.2)
    _healthy_everywhere(mock.base)


def test_every_way_of_moving_the_clock_stays_inside_the_supported_range(start_mock: Start) -> None:
    mock = start_mock("--clock", FROZEN)
    clock = f"{mock.base}/_mock/clock"
    assert httpx.post(clock, json={"now": "1969-12-31T23:59:59Z"}).status_code == 400
    assert httpx.post(clock, json={"now": "0001-01-01T00:00:00Z"}).status_code == 400
    assert httpx.post(clock, json={"now": "2999-12-31T23:59:59Z"}).status_code == 200
    # advancing past the end is refused, and the refused request leaves the clock where it was
    assert httpx.post(clock, json={"advanceSeconds": 3153600000}).status_code == 400
    assert httpx.get(clock).json()["now"] == "2999-12-31T23:59:59Z"
    # a combined request is refused whole: the instant was fine, running was not applied either
    assert httpx.post(clock, json={"now": "9999-01-01T00:00:00Z", "running": True}).status_code == 400
    assert httpx.get(clock).json() == {"now": "2999-12-31T23:59:59Z", "running": False}
    assert httpx.post(clock, json={"now": "2030-01-01T00:00:00+05:00", "running": True}).status_code == 200
    _healthy_everywhere(mock.base)


def test_the_range_is_in_the_control_planes_spec(start_mock: Start) -> None:
    mock = start_mock()
    document = httpx.get(f"{mock.base}/_mock/openapi.json").json()
    body = document["paths"]["/_mock/clock"]["post"]["requestBody"]["content"]["application/json"]
    description = body["schema"]["properties"]["now"]["description"]
    assert "1970-01-01T00:00:00Z" in description and "2999-12-31T23:59:59Z" in description

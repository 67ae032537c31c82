"""A 404 for a path no route matches names the closest known route, in the family's envelope."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("path", "closest"),
    [
        ("/api/v1/audiencs", "/api/v1/audiences"),
        ("/api/v1/audiences/a1/memberz", "/api/v1/audiences/{audienceId}/members"),
        ("/api/audiences/a1/member", "/api/audiences/{audienceId}/members"),
        ("/api/v1/experience", "/api/v1/experiences"),
        ("/_mock/clocks", "/_mock/clock"),
        ("/_mock/journals", "/_mock/journal"),
    ],
)
def test_a_near_miss_names_the_closest_route(fanfare_mock: Any, path: str, closest: str) -> None:
    response = fanfare_mock.client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "Not found"
    assert body["message"] == f"No route GET {path}; the closest known route is {closest}"


@pytest.mark.parametrize(
    "path", ["/nothing/like/it/at/all", "/favicon.ico", "/api/v1/zzzzzzzzzzzzzzzz/qqqqqq"]
)
def test_a_path_like_no_route_is_a_plain_404(fanfare_mock: Any, path: str) -> None:
    response = fanfare_mock.client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_the_reference_family_keeps_its_envelope(fanfare_mock: Any) -> None:
    response = fanfare_mock.client.get("/api/audiences/a1/member")
    assert set(response.json()) == {"error", "message"}

"""The pytest plugin's live server: a real uvicorn on a free port, reset between tests."""

from __future__ import annotations

from typing import Any

import httpx


def test_live_server_serves_real_http(fanfare_live: Any) -> None:
    assert fanfare_live.base_url.startswith("http://127.0.0.1:")
    response = httpx.post(
        f"{fanfare_live.base_url}/api/v1/audiences",
        headers=fanfare_live.headers,
        json={"name": "Live", "type": "STATIC"},
    )
    assert response.status_code == 201
    assert len(fanfare_live.client.get("/api/v1/audiences").json()) == 1


def test_live_server_is_reset_between_tests(fanfare_live: Any) -> None:
    assert fanfare_live.client.get("/api/v1/audiences").json() == []
    fanfare_live.clock.advance(60)
    assert fanfare_live.client.get("/_mock/clock").json()["now"] == "2025-01-01T00:01:00Z"

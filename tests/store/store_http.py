"""HTTP helpers for the store tests: each request on a fresh connection, so `--workers` spreads them."""

from __future__ import annotations

from typing import Any

import httpx

KEY = "sk_test_store"
HEADERS = {"Authorization": f"Bearer {KEY}"}


_clients: dict[str, httpx.Client] = {}


def client(base: str) -> httpx.Client:
    """A client for `base` that opens a new connection per request (no keep-alive), so the kernel
    hands each request to any of the workers behind the port."""
    found = _clients.get(base)
    if found is None:
        found = _clients[base] = httpx.Client(
            base_url=base, headers=HEADERS, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
        )
    return found


def create_audience(base: str, name: str, kind: str = "STATIC", **extra: Any) -> str:
    """POST on a fresh connection (so `--workers` spreads them); the new audience's id."""
    response = client(base).post("/api/v1/audiences", json={"name": name, "type": kind, **extra})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def fresh_get(base: str, path: str, **params: Any) -> httpx.Response:
    return client(base).get(path, params=params)


def everyone(base: str, count: int = 200) -> list[str]:
    """Consumer ids of the tenant: the members of a DYNAMIC audience that selects everyone."""
    audience = create_audience(
        base,
        "Everyone",
        "DYNAMIC",
        rules=[{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [0]}],
    )
    return walk([base], f"/api/v1/audiences/{audience}/members", first=100)[:count]


def walk(bases: list[str], path: str, first: int) -> list[str]:
    """Page a members list to the end, each page from the next base in turn, on a fresh connection."""
    seen: list[str] = []
    after = None
    turn = 0
    while True:
        params: dict[str, Any] = {"first": first}
        if after is not None:
            params["after"] = after
        response = fresh_get(bases[turn % len(bases)], path, **params)
        turn += 1
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(member["id"] for member in page["data"])
        after = page["pageInfo"]["endCursor"]
        if not page["data"] or after is None:
            return seen

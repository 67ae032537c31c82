"""Audience lists longer than a slice (issue 10, no stalls: a list is read and rendered a slice at a time)
come back whole and in order of creation, in both dialects."""

from __future__ import annotations

from typing import Any

from mock_server.handlers.audiences import _LIST_SLICE
from mock_server.views.guide import GUIDE, LIST_SLICE
from tests.domain.conftest import make_org
from tests.handlers.conftest import created

COUNT = max(_LIST_SLICE, LIST_SLICE) + 40


def test_a_long_list_is_whole_and_in_order(client: Any) -> None:
    made = []
    for i in range(COUNT):
        kind = "DYNAMIC" if i % 3 else "STATIC"
        body: dict[str, Any] = {"name": f"A{i}", "type": kind}
        if kind == "DYNAMIC":
            body["rules"] = [{"field": "totalOrders", "operator": "GREATER_THAN_OR_EQUAL", "values": [i % 5]}]
        made.append(created(client.post("/api/v1/audiences", json=body), 201)["id"])
    client.delete(f"/api/v1/audiences/{made[7]}")
    listed = created(client.get("/api/v1/audiences"), 200)
    assert [a["id"] for a in listed] == [m for m in made if m != made[7]]
    page = created(client.get("/api/audiences", params={"first": 50}), 200)
    assert [a["id"] for a in page["data"]] == sorted(set(made) - {made[7]}, reverse=True)[:50]  # newest first


def test_the_guide_renders_a_long_list_in_slices() -> None:
    org = make_org([{"email": "one@example.com"}])
    for i in range(LIST_SLICE + 1):
        org.audiences.create(GUIDE.create_input({"name": f"S{i}", "type": "STATIC"}))
    steps, slices = GUIDE.audience_list(org.audiences.live(), org, {}), 0
    while True:
        try:
            next(steps)
        except StopIteration as done:
            rendered = done.value
            break
        slices += 1
    assert slices == 2 and [a["name"] for a in rendered] == [f"S{i}" for i in range(LIST_SLICE + 1)]

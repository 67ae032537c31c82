"""Issue 10, no stalls, against a live `fanfare-mock serve`: while one client uploads a 100,000-row CSV,
exports a large state or creates a 100-rule audience over 100,000 consumers, another client's health
check is answered before that work completes (ordering, not a time threshold: the big request is running
when the small one is answered)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from tests.hardening.conftest import LiveMock, Start

KEY = {"Authorization": "Bearer sk_test_stall_tenant_1234"}
ROWS = 100_000


def big_csv() -> bytes:
    lines = (b"user%d@example.com,User %d,%d\n" % (i, i, i) for i in range(ROWS))
    return b"email,fullName,loyaltyPoints\n" + b"".join(lines)


def answered_while(
    mock: LiveMock, method: str, path: str, body: bytes = b"", kind: str = "text/csv", at_least: int = 5
) -> None:
    """Send the heavy request from a thread; poll health meanwhile. Counted are the health answers to
    probes sent after the heavy request's last byte left and received before its answer's head came back:
    a server that holds its loop for the whole work answers at most the one probe already queued."""
    sent, done = threading.Event(), threading.Event()
    status: list[int] = []

    def content() -> Iterator[bytes]:
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]
        sent.set()

    def run() -> None:
        with httpx.Client(base_url=mock.base, headers=KEY, timeout=120) as client:
            headers = {"content-type": kind} if body else {}
            if not body:
                sent.set()
            with client.stream(method, path, content=content() if body else None, headers=headers) as reply:
                done.set()
                status.append(reply.status_code)
                reply.read()

    worker = threading.Thread(target=run)
    between = 0
    with httpx.Client(base_url=mock.base, timeout=120) as probe:
        worker.start()
        sent.wait(120)
        while not done.is_set():
            health = probe.get("/_mock/health")
            assert health.status_code == 200
            if not done.is_set():
                between += 1
            time.sleep(0.002)
        worker.join()
    assert status in ([200], [201])
    assert between >= at_least, (
        f"only {between} health answers came back while the heavy request was worked on"
    )


def imported(mock: LiveMock) -> str:
    """A static list of the 100,000 rows of `big_csv`, imported; its id."""
    with httpx.Client(base_url=mock.base, headers=KEY, timeout=120) as client:
        audience = client.post("/api/v1/audiences", json={"name": "Big", "type": "STATIC"}).json()
        url = urlsplit(client.post(f"/api/v1/audiences/{audience['id']}/import").json()["uploadUrl"])
        answered_while(mock, "PUT", f"{url.path}?{url.query}", big_csv())
        count = client.get(f"/api/v1/audiences/{audience['id']}/count").json()
    assert count["count"] == ROWS
    return str(audience["id"])


def test_a_100k_row_import_does_not_hold_the_server(start_mock: Start) -> None:
    imported(start_mock())


def test_a_large_state_export_does_not_hold_the_server(start_mock: Start) -> None:
    mock = start_mock()
    imported(mock)  # 100,000 changed consumers: an export of about 50 MB
    answered_while(mock, "GET", "/_mock/state")


def test_creating_a_100_rule_audience_over_100k_consumers_does_not_hold_the_server(start_mock: Start) -> None:
    mock = start_mock(consumers=ROWS)
    rules = [
        {"field": "email", "operator": "CONTAINS", "values": [f"{i}"], "groupId": f"g{i % 20}"}
        for i in range(100)
    ]
    body = json.dumps({"name": "Wide", "type": "DYNAMIC", "rules": rules}).encode()
    # its rules are evaluated in slices of about 8,000 consumers: a probe comes back between some of them
    answered_while(mock, "POST", "/api/v1/audiences", body, kind="application/json", at_least=2)

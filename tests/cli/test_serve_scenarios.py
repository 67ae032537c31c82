"""`fanfare-mock serve` and its world: the demo for every new organization and a clock that runs from the
real time by default, `--scenario none` and `--clock`, scenario files at start, and a bad file refused
with its line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

Serve = Callable[..., str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start `fanfare-mock serve ARGS` on a free port; returns its base URL. Stopped after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--consumers", "300", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90  # a busy CI machine starts slowly
        while True:
            try:
                if httpx.get(f"{base}/_mock/health", timeout=1).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"the mock did not start: {output}")
            time.sleep(0.05)

    yield start
    for process in started:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def audiences(base: str, key: str = "sk_test_someone_new") -> list[dict[str, object]]:
    # the first request of a key seeds its organization: seconds on a busy machine
    response = httpx.get(f"{base}/api/v1/audiences", headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_serve_shows_a_live_world_on_a_real_clock(serve: Serve) -> None:
    base = serve()
    before = datetime.now(UTC)
    world = audiences(base)  # a new key's very first request
    assert {a["type"] for a in world} == {"STATIC", "DYNAMIC", "SYNCED_LIST"}
    experiences = httpx.get(
        f"{base}/api/v1/experiences", headers={"Authorization": "Bearer sk_test_someone_new"}
    )
    assert {e["status"] for e in experiences.json()} == {"draft", "scheduled", "active", "completed"}
    clock = httpx.get(f"{base}/_mock/clock").json()
    assert clock["running"] is True
    now = datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))
    assert abs((now - before).total_seconds()) < 60
    page = httpx.get(f"{base}/_mock/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "fanfare-mock dashboard" in page.text


def test_serve_has_a_demo_organization_before_any_request(serve: Serve) -> None:
    """The dashboard's first page shows data: `sk_test_fanfare_demo` is there from the start."""
    base = serve()
    (org,) = httpx.get(f"{base}/_mock/organizations").json()["organizations"]
    assert org["tenant"] == "sk_test_…demo", org
    assert org["audiences"] > 0, org
    demo = audiences(base, "sk_test_fanfare_demo")
    assert {a["type"] for a in demo} == {"STATIC", "DYNAMIC", "SYNCED_LIST"}
    assert [a["name"] for a in demo] == [a["name"] for a in audiences(base)]  # the same demo as any key


def test_no_demo_organization_with_pinned_keys_or_no_scenario(serve: Serve) -> None:
    assert httpx.get(f"{serve('--scenario', 'none')}/_mock/organizations").json() == {"organizations": []}
    pinned = serve("--keys", "sk_test_pinned_0000aaaa")
    (org,) = httpx.get(f"{pinned}/_mock/organizations").json()["organizations"]
    assert org["tenant"] == "sk_test_…aaaa" and org["audiences"] > 0, org  # the demo in the pinned one


def test_scenario_none_and_a_fixed_clock(serve: Serve) -> None:
    base = serve("--scenario", "none", "--clock", "2025-06-01T00:00:00Z")
    assert audiences(base) == []
    assert httpx.get(f"{base}/_mock/clock").json() == {"now": "2025-06-01T00:00:00Z", "running": False}


def test_scenario_files_load_at_start_in_order(serve: Serve, tmp_path: Path) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(
        "organizations:\n  - key: sk_test_from_file\n    audiences:\n"
        "      - {name: From a file, type: STATIC}\n"
    )
    second = tmp_path / "second.json"
    second.write_text('{"faults": [{"operationId": "getV1Experiences", "status": 500}]}')
    base = serve("--scenario", str(first), "--scenario", str(second), "--clock", "2025-06-01T00:00:00Z")
    assert [a["name"] for a in audiences(base, "sk_test_from_file")] == ["From a file"]
    assert audiences(base) == []  # no demo when scenarios are named (add --scenario demo for it)
    (rule,) = httpx.get(f"{base}/_mock/faults").json()["faults"]
    assert rule["operationId"] == "getV1Experiences"


def test_same_seed_scenario_and_clock_give_the_same_world(serve: Serve) -> None:
    def world() -> bytes:
        base = serve("--seed", "5", "--clock", "2025-06-01T00:00:00Z")
        audiences(base, "sk_test_a")
        audiences(base, "sk_test_b")
        return httpx.get(f"{base}/_mock/state").content

    assert world() == world()


def test_a_bad_scenario_stops_the_start_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("organizations:\n  - key: sk_test_x\n    audiences:\n      - {name: X, type: STATIK}\n")
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--port", str(free_port()), "--scenario", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f'{bad}:4: organizations[0].audiences[0].type: "STATIK" is not one of' in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_clock_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--clock", "tomorrow"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "ISO-8601" in result.stderr

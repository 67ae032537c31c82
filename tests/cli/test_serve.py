"""The real CLI: `fanfare-mock serve` in its own process on a free port, real HTTP, stopped with Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest


def sorted_labels(keys: tuple[str, ...]) -> list[str]:
    """The masked keys in the order the mock seeds them (by key hash)."""
    from mock_server.domain.world import key_hash
    from mock_server.web.security import redact

    return [redact(key) for key in sorted(keys, key=key_hash)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mock_server",
            "serve",
            "--port",
            str(port),
            "--seed",
            "3",
            "--consumers",
            "500",
            "--keys",
            "sk_test_one_0000aaaa,sk_test_two_0000bbbb",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/_mock/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"the mock did not start: {process.stdout.read() if process.stdout else ''}")
        time.sleep(0.05)
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_serve_prints_its_url_serves_both_families_and_stops_on_ctrl_c(served: tuple) -> None:
    process, base = served
    one = {"Authorization": "Bearer sk_test_one_0000aaaa"}
    audience = httpx.post(f"{base}/api/v1/audiences", headers=one, json={"name": "VIP", "type": "STATIC"})
    assert audience.status_code == 201, audience.text
    same = httpx.get(f"{base}/api/audiences/{audience.json()['id']}", headers=one)
    assert same.json()["type"] == "STATIC_LIST"
    assert (
        httpx.get(
            f"{base}/api/audiences/{audience.json()['id']}",
            headers={"Authorization": "Bearer sk_test_two_0000bbbb"},
        ).status_code
        == 404
    )
    unpinned = httpx.get(f"{base}/api/v1/audiences", headers={"Authorization": "Bearer sk_test_three"})
    assert unpinned.status_code == 401
    preflight = httpx.options(
        f"{base}/api/v1/audiences",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert f"fanfare-mock serving {base}" in output
    assert f"specs {base}/openapi.json (Admin API)   {base}/_mock/openapi.json (control plane)" in output
    assert f"control plane {base}/_mock/..." in output
    assert "POST /api/v1/audiences 201" in output, "one log line per request"
    assert "sk_test_one_0000aaaa" not in output, "secret keys are never logged"
    seeded = [line.strip() for line in output.splitlines() if "consumers seeded" in line]
    # one progress line per pinned organization, named by its masked key (the key itself never shows)
    assert [line.split(":")[0] for line in seeded] == [
        f"organization {n}/2 {label}"
        for n, label in enumerate(sorted_labels(("sk_test_one_0000aaaa", "sk_test_two_0000bbbb")), 1)
    ], output
    assert all("500 consumers seeded in" in line for line in seeded), seeded
    assert {"sk_test_…aaaa", "sk_test_…bbbb"} == {line.split()[2].rstrip(":") for line in seeded}


def test_help_explains_every_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for flag in ("--host", "--port", "--seed", "--consumers", "--keys", "--cors-origins", "--quiet"):
        assert flag in result.stdout


def test_bad_keys_are_refused_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--keys", "pk_test_x"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "secret keys" in result.stderr

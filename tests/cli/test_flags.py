"""The server's and the contract kit's flags mean what they say, through the installed commands."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

BIN = Path(sys.executable).parent
MOCK = str(BIN / "fanfare-mock")
CONTRACT = str(BIN / "fanfare-contract")
# The first Admin API call seeds a tenant: seconds on a busy machine, more than httpx's default 5 s.
http = SimpleNamespace(get=partial(httpx.get, timeout=60), options=partial(httpx.options, timeout=60))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(*command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def serve_with() -> Iterator[object]:
    started: list[subprocess.Popen[str]] = []

    def start(*flags: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [MOCK, "serve", "--port", str(port), "--consumers", "50", "--quiet", *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/_mock/health", timeout=1).status_code == 200:
                    return base
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the mock did not start")

    yield start
    for process in started:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_cors_origins_star_allows_every_origin(serve_with) -> None:  # type: ignore[no-untyped-def]
    base = serve_with("--cors-origins", "*")
    origin = {"Origin": "https://app.example.com"}
    answer = http.get(f"{base}/api/v1/audiences", headers={**origin, "Authorization": "Bearer sk_test_a"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    preflight = http.options(
        f"{base}/api/v1/audiences",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code in (200, 204), preflight.text
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_cors_origins_list_allows_exactly_those(serve_with) -> None:  # type: ignore[no-untyped-def]
    base = serve_with("--cors-origins", "https://a.example, https://b.example")
    key = {"Authorization": "Bearer sk_test_a"}
    allowed = http.get(f"{base}/api/v1/audiences", headers={**key, "Origin": "https://b.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://b.example"
    refused = http.get(f"{base}/api/v1/audiences", headers={**key, "Origin": "https://c.example"})
    assert "access-control-allow-origin" not in refused.headers
    preflight = http.options(
        f"{base}/api/v1/audiences",
        headers={"Origin": "https://c.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 403 and "https://c.example" in preflight.json()["error"]


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1"])
def test_a_port_outside_1_to_65535_is_a_usage_error(port: str) -> None:
    result = run(MOCK, "serve", "--port", port)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--port" in result.stderr and "1-65535" in result.stderr
    assert "serving" not in result.stdout


def test_a_port_in_use_is_one_line_and_a_failure_before_any_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(MOCK, "serve", "--port", str(port), timeout=30)  # a hang fails as a timeout
    assert result.returncode == 1, result.stdout + result.stderr
    assert "serving" not in result.stdout, "no banner for a server that is not serving"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port}" in lines[0] and "in use" in lines[0]


@pytest.mark.parametrize("command", [MOCK, CONTRACT])
def test_version(command: str) -> None:
    result = run(command, "--version")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"{Path(command).name} {re.escape(version('fanfare-mock'))}\n", result.stdout)


def test_spec_to_an_unwritable_path_is_one_line(tmp_path: Path) -> None:
    result = run(MOCK, "spec", "-o", str(tmp_path / "no" / "such" / "dir" / "spec.json"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("fanfare-mock: cannot write") and "spec.json" in line


def test_spec_to_a_file_writes_the_document(tmp_path: Path) -> None:
    target = tmp_path / "fanfare.json"
    result = run(MOCK, "spec", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert '"openapi": "3.1' in target.read_text(encoding="utf-8")
